import Foundation
import Testing
import WellKnownConfig
import WellKnownServices

/// wellknownd.yaml(5) is written by hand, so a test holds it to the loader's key lists and the service table:
/// every key of every section, every service and every option must have its `.B key` entry.
@Suite struct ManualReferenceTests {
    static func entries() throws -> Set<String> {
        let page = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("man/wellknownd.yaml.5")
        let text = try String(contentsOf: page, encoding: .utf8)
        // `.B name` lines; `\-` is roff's hyphen.
        return Set(
            text.split(separator: "\n").compactMap { line -> String? in
                guard line.hasPrefix(".B ") else { return nil }
                return line.dropFirst(3).replacingOccurrences(of: "\\-", with: "-")
            }
        )
    }

    @Test func everyKeyOfEverySectionHasAnEntry() throws {
        let entries = try Self.entries()
        for (scope, names) in Configuration.configurationKeyNames {
            for name in names {
                #expect(entries.contains(name), "wellknownd.yaml(5) has no entry for \(scope) key \(name)")
            }
        }
    }

    @Test func everyServiceOptionHasAnEntryAndEveryServiceIsNamed() throws {
        let entries = try Self.entries()
        let page = try String(
            contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
                .deletingLastPathComponent().appendingPathComponent("man/wellknownd.yaml.5"),
            encoding: .utf8
        )
        for descriptor in ServiceCatalog.all {
            #expect(page.contains("\(descriptor.name)"), "service \(descriptor.name)")
            for option in descriptor.options {
                #expect(entries.contains(option.key), "option \(option.key) of \(descriptor.name)")
            }
        }
    }
}
