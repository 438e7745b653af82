import Testing

@testable import WellKnownProbe

/// Every check reads what a server sent, so every check takes garbage: random bytes and mutations of good answers
/// get a verdict (no crash, no hang), and a mutated answer is never taken for the original unless it still is one.
@Suite struct CheckFuzzTests {
    struct Seeded: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state = self.state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return self.state
        }
    }

    static let good: [[UInt8]] = [
        "Tue Dec  1 21:00:00 2026\r\n", "2026-12-01T21:00:00Z\r\n", "Tue, 01 Dec 2026 21:00:00 +0000\r\n",
        "61375 26-12-01 21:00:00 00 0 0 722.5 UTC(NIST) *\r\n", "113 , 40000 : ERROR : HIDDEN-USER\r\n",
        "proto=tcp client=127.0.0.1:40000 server=127.0.0.1:6099\r\n", "echo\r\ndaytime\r\n",
    ].map { Array($0.utf8) }

    func mutate(_ bytes: [UInt8], using generator: inout Seeded) -> [UInt8] {
        var bytes = bytes
        for _ in 0..<Int.random(in: 1...4, using: &generator) {
            switch Int.random(in: 0..<4, using: &generator) {
            case 0 where !bytes.isEmpty:
                bytes[Int.random(in: 0..<bytes.count, using: &generator)] = UInt8.random(in: 0...255, using: &generator)
            case 1 where !bytes.isEmpty: bytes.remove(at: Int.random(in: 0..<bytes.count, using: &generator))
            case 2:
                bytes.insert(
                    UInt8.random(in: 0...255, using: &generator),
                    at: Int.random(in: 0...bytes.count, using: &generator)
                )
            default: bytes = Array(bytes.prefix(Int.random(in: 0...bytes.count, using: &generator)))
            }
        }
        return bytes
    }

    @Test func everyCheckGivesAVerdictForAnyInput() {
        var generator = Seeded(state: 864)
        let now = 1_796_158_800.0
        for round in 0..<3000 {
            let input: [UInt8] =
                round % 2 == 0
                ? (0..<Int.random(in: 0...600, using: &generator)).map { _ in
                    UInt8.random(in: 0...255, using: &generator)
                }
                : self.mutate(Self.good[round % Self.good.count], using: &generator)
            let verdicts = [
                DaytimeCheck.verify(input, now: now, maxSkew: 5),
                TimeCheck.verify(input, now: now, maxSkew: 5),
                ChargenCheck.verify(input, datagram: round % 3 == 0),
                TextServiceCheck.quote(input),
                TextServiceCheck.tcpmuxHelp(input),
                TextServiceCheck.ident(input, serverPort: 113, clientPort: 40000),
                TextServiceCheck.whoami(input, proto: "tcp", local: "127.0.0.1:40000", remote: "127.0.0.1:6099"),
                EchoCheck.verify(sent: Self.good[0], received: input),
            ]
            for verdict in verdicts {
                #expect(!verdict.name.isEmpty && !verdict.detail.isEmpty)
            }
            // An echo is ok only for exactly what was sent.
            #expect(verdicts[7].isOK == (input == Self.good[0]))
            // A daytime line is ok only if a format really parses it, with valid fields.
            if verdicts[0].isOK {
                let text = String(decoding: input, as: UTF8.self).trimmingSuffixNewline
                #expect(DaytimeCheck.parse(text) != nil, "\(input)")
            }
        }
    }
}
