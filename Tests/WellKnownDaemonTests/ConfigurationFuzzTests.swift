import Testing
import WellKnownConfig

@testable import WellKnownDaemon

/// Mutated configuration files never crash the loader, and always give either a configuration (every entry with
/// its service instance) or errors that each point inside the file and say something.
@Suite struct ConfigurationFuzzTests {
    /// SplitMix64: a small deterministic generator, so that a failure can be replayed from its seed.
    struct SplitMix64: RandomNumberGenerator {
        var state: UInt64
        mutating func next() -> UInt64 {
            self.state &+= 0x9E37_79B9_7F4A_7C15
            var z = self.state
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            return z ^ (z >> 31)
        }
    }

    static let seeds = [
        """
        grace-period: 5
        bind: [127.0.0.1, "::1"]
        user: nobody
        allow: [127.0.0.0/8, "::1/128"]
        deny: [127.0.0.2/32]
        limits: {connections: 100, per-source-connections: 8, per-source-accept-rate: 2.5, per-source-accept-burst: 4}
        udp-guard:
          deny-source-ports: [7, 19, 53]
          per-source-rate: 20
          per-source-burst: 40
          reply-factor: 1.5
          reply-floor: 64
        services:
          - service: daytime
            port: 6013
            format: rfc3339
            zone: UTC
          - {service: time, port: 6037, transport: udp}
          - service: echo
            port: 6007
            idle-timeout: 30
            max-bytes-in: 1048576
            max-connections: 10
          - service: chargen
            path: /run/wellknownd/chargen.sock
            transport: tcp
          - {service: discard, port: 6009, bind: ["::"], allow: [10.0.0.0/8]}
          - {service: chargen, port: 6019, udp-mode: bsd}
        """,
        "services:\n  - {service: echo, port: 7}\n",
    ]

    /// Characters that matter to YAML and to our values.
    static let alphabet = Array(" \n\t:-,[]{}#&*!|>'\"%@`?0123456789.x/_e:")

    static func mutate(_ text: String, using random: inout SplitMix64) -> String {
        var characters = Array(text)
        var lines = text.split(separator: "\n", omittingEmptySubsequences: false).map(String.init)
        switch Int.random(in: 0..<8, using: &random) {
        case 0 where !characters.isEmpty:
            characters.remove(at: Int.random(in: 0..<characters.count, using: &random))
        case 1:
            characters.insert(
                alphabet.randomElement(using: &random) ?? " ",
                at: Int.random(in: 0...characters.count, using: &random)
            )
        case 2 where !characters.isEmpty:
            characters[Int.random(in: 0..<characters.count, using: &random)] =
                alphabet.randomElement(using: &random) ?? " "
        case 3 where lines.count > 1:
            let i = Int.random(in: 0..<lines.count, using: &random)
            lines.insert(lines[i], at: Int.random(in: 0...lines.count, using: &random))
            return lines.joined(separator: "\n")
        case 4 where lines.count > 1:
            lines.remove(at: Int.random(in: 0..<lines.count, using: &random))
            return lines.joined(separator: "\n")
        case 5 where lines.count > 1:
            lines.swapAt(
                Int.random(in: 0..<lines.count, using: &random),
                Int.random(in: 0..<lines.count, using: &random)
            )
            return lines.joined(separator: "\n")
        case 6:
            // A number somewhere becomes another: negative, huge, fractional or zero.
            let replacement =
                ["-1", "0", "99999999999999999999", "1.5", "65536", "1e3", "0x10", "-0"]
                .randomElement(using: &random) ?? "0"
            if let range = text.ranges(of: /\d+/).randomElement(using: &random) {
                return text.replacingCharacters(in: range, with: replacement)
            }
        case 7 where !characters.isEmpty:
            characters = Array(characters.prefix(Int.random(in: 0..<characters.count, using: &random)))
        default:
            break
        }
        return String(characters)
    }

    @Test(arguments: [1, 2, 3, 4])
    func mutatedFilesGiveAConfigurationOrPositionedErrors(seed: UInt64) throws {
        var random = SplitMix64(state: seed)
        let loader = ConfigurationLoader(schema: ServiceTable.schema)
        var accepted = 0
        var rejected = 0
        for _ in 0..<1500 {
            var text = Self.seeds.randomElement(using: &random) ?? ""
            for _ in 0..<Int.random(in: 1...4, using: &random) {
                text = Self.mutate(text, using: &random)
            }
            let lineCount = text.split(separator: "\n", omittingEmptySubsequences: false).count
            do {
                let configuration = try loader.parse(text, source: "fuzz.yaml")
                let prepared = try ServiceTable.prepare(configuration, environment: SystemEnvironment.live)
                #expect(!configuration.services.isEmpty, "\(text)")
                #expect(configuration.services.allSatisfy { prepared.instance(forEntry: $0.index) != nil })
                accepted += 1
            } catch {
                rejected += 1
                #expect(!error.errors.isEmpty, "\(text)")
                for problem in error.errors {
                    #expect(problem.location.file == "fuzz.yaml")
                    #expect((1...lineCount + 1).contains(problem.location.line), "\(problem)\n---\n\(text)")
                    #expect(problem.location.column >= 1, "\(problem)\n---\n\(text)")
                    #expect(!problem.message.isEmpty)
                }
            }
        }
        // Both outcomes are exercised: mutations that keep a file valid, and ones that break it.
        #expect(accepted > 50)
        #expect(rejected > 500)
    }
}
