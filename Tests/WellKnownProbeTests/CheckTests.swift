import Testing

@testable import WellKnownProbe

/// The ring as RFC 864 draws it: line n is 72 characters from position n of the 95, then CR LF.
func chargenStream(fromLine first: Int, bytes: Int) -> [UInt8] {
    var out: [UInt8] = []
    var line = first
    while out.count < bytes {
        out += (0..<72).map { UInt8(32 + (line + $0) % 95) } + [13, 10]
        line += 1
    }
    return Array(out.prefix(bytes))
}

@Suite struct EchoCheckTests {
    @Test func theFirstDifferingByteIsNamed() {
        let sent = EchoCheck.pattern(size: 100)
        #expect(EchoCheck.verify(sent: sent, received: sent) == .ok("100 bytes echoed"))
        var flipped = sent
        flipped[41] ^= 0x01
        #expect(
            EchoCheck.verify(sent: sent, received: flipped)
                == .wrong(
                    "byte 41 differs: sent \(ByteDescription.of(sent[41])), got \(ByteDescription.of(flipped[41]))"
                )
        )
        #expect(EchoCheck.verify(sent: sent, received: Array(sent.prefix(60))) == .wrong("60 of 100 bytes came back"))
        #expect(EchoCheck.verify(sent: sent, received: sent + [1]) == .wrong("101 bytes came back for 100 sent"))
    }

    @Test func thePatternIsPrintableAndNotPeriodic() {
        let pattern = EchoCheck.pattern(size: 1000)
        #expect(pattern.allSatisfy { (33...126).contains($0) })
        // A reply shifted by one line or one byte would differ.
        #expect(Array(pattern[0..<95]) != Array(pattern[95..<190]))
        #expect(Array(pattern[0..<100]) != Array(pattern[1..<101]))
    }
}

@Suite struct ChargenCheckTests {
    @Test func theRingIsAcceptedFromAnyLine() {
        #expect(ChargenCheck.verify(chargenStream(fromLine: 0, bytes: 512), datagram: false).isOK)
        #expect(ChargenCheck.verify(chargenStream(fromLine: 93, bytes: 1000), datagram: false).isOK, "the wrap at 95")
        #expect(ChargenCheck.verify(chargenStream(fromLine: 7, bytes: 300), datagram: true).isOK)
    }

    @Test func aSkippedCharacterIsFoundWhereTheRingBreaks() {
        var stream = chargenStream(fromLine: 0, bytes: 300)
        stream.remove(at: 100)
        let verdict = ChargenCheck.verify(stream, datagram: false)
        #expect(verdict == .wrong("byte 100 (line 2) breaks the RFC 864 ring: expected ';', got '<'"))
    }

    @Test func aLineThatDoesNotAdvanceOrLacksItsCRLFIsWrong() {
        // Every line starting at the space: BSD's bug-for-bug look-alike that never advances.
        let repeated = Array((chargenStream(fromLine: 0, bytes: 74) + chargenStream(fromLine: 0, bytes: 74)))
        #expect(ChargenCheck.firstBreak(repeated)?.offset == 74)
        var noCR = chargenStream(fromLine: 0, bytes: 150)
        noCR[72] = UInt8(ascii: "x")
        #expect(ChargenCheck.firstBreak(noCR)?.offset == 72)
        #expect(
            ChargenCheck.verify([0, 1, 2], datagram: true)
                == .wrong("byte 0 (line 1) breaks the RFC 864 ring: expected ' ', got 0x00")
        )
        #expect(!ChargenCheck.verify(chargenStream(fromLine: 0, bytes: 600), datagram: true).isOK, "over 512")
    }
}

@Suite struct DaytimeCheckTests {
    // 2026-12-01 21:00:00 UTC
    static let now = 1_796_158_800.0

    @Test(arguments: [
        ("Tue Dec  1 21:00:00 2026\r\n", "ctime"),
        ("Tue Dec  1 22:00:00 CET 2026\r\n", "date(1)"),
        ("2026-12-01T22:00:00+01:00\r\n", "RFC 3339"),
        ("2026-12-01T21:00:00.25Z\n", "RFC 3339"),
        ("Tue, 01 Dec 2026 22:00:00 +0100\r\n", "RFC 2822"),
        ("61375 26-12-01 21:00:00 00 0 0 722.5 UTC(NIST) *\r\n", "NIST ACTS"),
    ])
    func knownFormatsParse(line: String, format: String) {
        let verdict = DaytimeCheck.verify(Array(line.utf8), now: Self.now, maxSkew: 5)
        #expect(verdict.isOK, "\(verdict)")
        #expect(verdict.detail.hasPrefix(format))
    }

    @Test func aGarbledLineIsWrong() {
        #expect(
            DaytimeCheck.verify(Array("Tue Dec 41 21:00:00 2026\r\n".utf8), now: Self.now, maxSkew: 5)
                == .wrong("no known format parses \"Tue Dec 41 21:00:00 2026\\r\\n\"")
        )
        #expect(!DaytimeCheck.verify(Array("hello\r\n".utf8), now: Self.now, maxSkew: 5).isOK)
        #expect(!DaytimeCheck.verify([], now: Self.now, maxSkew: 5).isOK)
        #expect(!DaytimeCheck.verify([0xFF, 0x00], now: Self.now, maxSkew: 5).isOK)
        #expect(!DaytimeCheck.verify(Array("2026-02-30T21:00:00Z\r\n".utf8), now: Self.now, maxSkew: 5).isOK)
    }

    @Test func aLineWithAnOffsetIsJudgedForSkew() {
        let hourOff = DaytimeCheck.verify(Array("2026-12-01T22:00:00Z\r\n".utf8), now: Self.now, maxSkew: 5)
        #expect(
            hourOff == .wrong("RFC 3339 \"2026-12-01T22:00:00Z\" is +3600.0 s off the local clock (more than 5.0 s)")
        )
    }
}

@Suite struct TimeCheckTests {
    static func bytes(_ value: UInt32) -> [UInt8] {
        [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
    }

    @Test func aValueNearTheClockIsOKAndAnHourOffIsWrongWithTheSkew() {
        let now = 1_796_158_800.0
        let value = UInt32(Int64(now) + TimeCheck.unixOffset)
        #expect(TimeCheck.verify(Self.bytes(value), now: now + 0.4, maxSkew: 5).isOK)
        #expect(
            TimeCheck.verify(Self.bytes(value - 3600), now: now, maxSkew: 5)
                == .wrong("\(value - 3600) (skew -3600.0 s), more than 5.0 s off the local clock")
        )
        #expect(TimeCheck.verify([1, 2, 3], now: now, maxSkew: 5) == .wrong("3 bytes: RFC 868 sends exactly 4"))
    }

    @Test func valuesAfter2036AreReadInTheNextEra() {
        // 2036-02-07 06:28:16 UTC is 0 again; one second later is 1.
        #expect(TimeCheck.unixTime(1) == 2_085_978_497)
        #expect(TimeCheck.unixTime(0xFFFF_FFFF) == 2_085_978_495)
    }
}

@Suite struct TextServiceCheckTests {
    @Test func quotes() {
        #expect(TextServiceCheck.quote(Array("A quote.\r\n".utf8)).isOK)
        #expect(!TextServiceCheck.quote([]).isOK)
        #expect(!TextServiceCheck.quote(Array(repeating: 65, count: 513)).isOK)
        #expect(!TextServiceCheck.quote([0x41, 0x00]).isOK)
    }

    @Test func tcpmuxHelpListsNames() {
        #expect(TextServiceCheck.tcpmuxHelp(Array("echo\r\ndaytime\r\n".utf8)) == .ok("lists echo, daytime"))
        #expect(!TextServiceCheck.tcpmuxHelp(Array("-Not a service name\r\n".utf8)).isOK)
        #expect(!TextServiceCheck.tcpmuxHelp(Array("two words\r\n".utf8)).isOK)
    }

    @Test func identRepliesMustAnswerTheQuestionAsked() {
        #expect(
            TextServiceCheck.ident(
                Array("113 , 40000 : ERROR : HIDDEN-USER\r\n".utf8),
                serverPort: 113,
                clientPort: 40000
            )
                == .ok("ERROR : HIDDEN-USER")
        )
        #expect(
            TextServiceCheck.ident(Array("113,40000:USERID:UNIX:root\r\n".utf8), serverPort: 113, clientPort: 40000)
                .isOK
        )
        #expect(
            !TextServiceCheck.ident(Array("113 , 1 : ERROR : NO-USER\r\n".utf8), serverPort: 113, clientPort: 40000)
                .isOK
        )
        #expect(!TextServiceCheck.ident(Array("hello\r\n".utf8), serverPort: 113, clientPort: 40000).isOK)
    }

    @Test func whoamiSaysWhetherThePairWasTranslated() {
        let same = TextServiceCheck.whoami(
            Array("proto=tcp client=127.0.0.1:40000 server=127.0.0.1:6099\r\n".utf8),
            proto: "tcp",
            local: "127.0.0.1:40000",
            remote: "127.0.0.1:6099"
        )
        #expect(same == .ok("the server saw the same socket pair"))
        let json = TextServiceCheck.whoami(
            Array(#"{"proto":"udp","client":"198.51.100.7:1","server":"[::1]:6099"}"#.utf8),
            proto: "udp",
            local: "[::1]:40000",
            remote: "[::1]:6099"
        )
        #expect(json.isOK)
        #expect(json.detail.contains("translated"))
        #expect(!TextServiceCheck.whoami(Array("hello".utf8), proto: "tcp", local: "a", remote: "b").isOK)
    }

    @Test func discardMustSendNothing() {
        #expect(TextServiceCheck.discard(sent: 10, receivedBack: 0, datagram: false).isOK)
        #expect(!TextServiceCheck.discard(sent: 10, receivedBack: 3, datagram: false).isOK)
    }
}

@Suite struct ProbeTargetTests {
    @Test func serviceTransportAndPort() throws {
        #expect(try ProbeTarget.parse("daytime:6013").map(\.description) == ["daytime/tcp:6013", "daytime/udp:6013"])
        #expect(try ProbeTarget.parse("echo/udp").map(\.description) == ["echo/udp:7"])
        #expect(try ProbeTarget.parse("TCPMUX").map(\.description) == ["tcpmux/tcp:1"])
        #expect(throws: ProbeTarget.ParseError.self) { try ProbeTarget.parse("tcpmux/udp") }
        #expect(throws: ProbeTarget.ParseError.self) { try ProbeTarget.parse("whoami") }
        #expect(try ProbeTarget.parse("whoami/tcp:6099").map(\.description) == ["whoami/tcp:6099"])
        #expect(throws: ProbeTarget.ParseError.self) { try ProbeTarget.parse("echo:70000") }
        #expect(throws: ProbeTarget.ParseError.self) { try ProbeTarget.parse("echo/sctp") }
        #expect(throws: ProbeTarget.ParseError.self) { try ProbeTarget.parse("gopher") }
    }

    @Test func onASocketPathAServiceIsAStreamUnlessToldAndNeedsNoPort() throws {
        #expect(try ProbeTarget.parse("whoami", local: true).map(\.description) == ["whoami/tcp:0"])
        #expect(try ProbeTarget.parse("echo/udp", local: true).map(\.transport) == [.udp])
    }

    @Test func everyWellKnownServiceByDefault() {
        let all = ProbeTarget.everyWellKnown.map(\.description)
        #expect(all.contains("echo/udp:7"))
        #expect(all.contains("ident/tcp:113"))
        #expect(!all.contains { $0.hasPrefix("whoami") }, "whoami has no well-known port")
        #expect(!all.contains("tcpmux/udp:1"))
    }
}
