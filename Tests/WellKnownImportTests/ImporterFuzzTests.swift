import Foundation
import Testing

@testable import WellKnownImport

/// Mutated xinetd and inetd files (characters changed, dropped and added, lines cut) give a result or a positioned
/// fault, never a crash; an entry, when there is one, has a built-in, a port and an address.
@Suite struct ImporterFuzzTests {
    static let seeds = [
        "defaults\n{\n only_from = 10.0.0.0/8\n}\nservice echo\n{\n type = INTERNAL\n id = echo-stream\n socket_type = stream\n instances = 5\n}\n",
        "echo stream tcp nowait root internal\n[::1]:daytime stream tcp6 nowait root internal\n127.0.0.1:\ntime dgram udp wait root internal\n",
    ]

    @Test func mutatedFilesGetAResultOrAPositionedFault() throws {
        let fixture = try Fixture()
        var generator = SystemRandomNumberGenerator()
        let alphabet = Array("{}=+-#:[]./ \n\tabcdefINTERNAL0123456789".utf8)
        for round in 0..<400 {
            var bytes = Array(Self.seeds[round % 2].utf8)
            for _ in 0..<Int.random(in: 1...6, using: &generator) {
                let position = Int.random(in: 0..<max(1, bytes.count), using: &generator)
                switch Int.random(in: 0..<3, using: &generator) {
                case 0 where !bytes.isEmpty: bytes.remove(at: min(position, bytes.count - 1))
                case 1: bytes.insert(alphabet.randomElement(using: &generator) ?? 32, at: min(position, bytes.count))
                default:
                    if !bytes.isEmpty {
                        bytes[min(position, bytes.count - 1)] = alphabet.randomElement(using: &generator) ?? 32
                    }
                }
            }
            let file = try fixture.write("fuzz\(round)", String(decoding: bytes, as: UTF8.self))
            do {
                let result = try run([file], includeDisabled: true)
                for entry in result.entries {
                    #expect(ConfigurationImporter.builtIns.values.contains(entry.service))
                    #expect((1...65535).contains(entry.port))
                    #expect(!entry.addresses.isEmpty)
                }
                _ = ImportedConfiguration.yaml(result)
            } catch {
                #expect(error.description.hasPrefix(file + ":"), "\(error)")
            }
        }
    }
}
