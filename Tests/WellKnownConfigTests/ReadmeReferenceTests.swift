import Foundation
import Testing
import WellKnownConfig
import WellKnownServices

/// The README's Configuration section is the reference people read: it must name every key the loader knows and
/// every option a service has, so that adding one to a key list without documenting it fails here.
@Suite struct ReadmeReferenceTests {
    static func configurationSection() throws -> String {
        let readme = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("README.md")
        let text = try String(contentsOf: readme, encoding: .utf8)
        let start = try #require(text.range(of: "\n## Configuration\n"))
        let end = try #require(text.range(of: "\n## Logs\n", range: start.upperBound..<text.endIndex))
        return String(text[start.upperBound..<end.lowerBound])
    }

    @Test func everyKeyOfEverySectionIsDocumented() throws {
        let section = try Self.configurationSection()
        for (scope, names) in Configuration.configurationKeyNames {
            for name in names {
                #expect(
                    section.contains("`\(name)`") || section.contains("\(name):"),
                    "the README's Configuration section does not name \(scope.isEmpty ? "top-level" : scope) key \(name)"
                )
            }
        }
    }

    @Test func everyServiceAndOptionIsDocumented() throws {
        let section = try Self.configurationSection()
        for descriptor in ServiceCatalog.all {
            #expect(section.contains("`\(descriptor.name)`"), "service \(descriptor.name)")
            for option in descriptor.options {
                #expect(section.contains("`\(option.key)`"), "option \(option.key) of \(descriptor.name)")
            }
        }
    }
}
