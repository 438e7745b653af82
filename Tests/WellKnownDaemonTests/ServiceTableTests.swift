import Foundation
import Testing
import WellKnownConfig
import WellKnownServices

@testable import WellKnownDaemon

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ServiceTableTests {
    @Test func schemaComesFromTheCatalog() {
        #expect(ServiceTable.schema.services.map(\.name) == ServiceCatalog.all.map(\.name))
        let daytime = ServiceTable.schema.services.first { $0.name == "daytime" }
        #expect(daytime?.options["format"] == .choice(["ctime", "rfc3339", "rfc2822", "date"]))
        #expect(daytime?.options["zone"] == .text)
    }

    /// An option named like an entry key (`port`, `bind`, `max-connections`, …) could never be set: the entry's
    /// key would take it.
    @Test(arguments: ServiceCatalog.all.map(\.name))
    func noServiceHasAnOptionNamedLikeAnEntryKey(service: String) throws {
        let descriptor = try #require(ServiceCatalog.descriptor(named: service))
        let clashes = Set(descriptor.options.map(\.key)).intersection(ServiceEntry.configurationKeyNames)
        #expect(clashes.isEmpty, "\(service) options \(clashes.sorted()) are entry keys")
        #expect(Set(descriptor.options.map(\.key)).count == descriptor.options.count, "option keys are unique")
    }

    @Test func everyOptionKindMapsToTheSchema() {
        #expect(ServiceTable.kind(of: .choice(["a"])) == .choice(["a"]))
        #expect(ServiceTable.kind(of: .text) == .text)
        #expect(ServiceTable.kind(of: .integer(1...5)) == .integer(1...5))
        #expect(ServiceTable.kind(of: .list) == .list)
        #expect(ServiceTable.kind(of: .file(maximumSize: 10)) == .file)
    }

    /// A file option is read by the daemon, bounded by the option's own size; its problems are the option's.
    @Test func aFileOptionIsReadWithItsBound() throws {
        let option = ServiceOption(key: "quotes", summary: "", kind: .file(maximumSize: 16), defaultValue: nil)
        let path = "\(NSTemporaryDirectory())wellknownd-option-\(UUID().uuidString)"
        try "short\n".write(toFile: path, atomically: false, encoding: .utf8)
        defer { unlink(path) }
        let at = SourceLocation(file: "c.yaml", line: 3, column: 12)
        #expect(
            try ServiceTable.value(of: EntryOption(.file(path), location: at), key: "quotes", for: option)
                == .file(path: path, contents: "short\n")
        )
        try String(repeating: "x", count: 17).write(toFile: path, atomically: false, encoding: .utf8)
        #expect(
            throws: ServiceOptionError(
                key: "quotes",
                message: "cannot read \(path): it is 17 bytes, more than the 16 allowed"
            )
        ) {
            try ServiceTable.value(of: EntryOption(.file(path), location: at), key: "quotes", for: option)
        }
        #expect(
            throws: ServiceOptionError(key: "quotes", message: "cannot read /nonexistent: No such file or directory")
        ) {
            try ServiceTable.value(of: EntryOption(.file("/nonexistent"), location: at), key: "quotes", for: option)
        }
    }

    @Test func anUnknownZoneIsReportedAtItsValue() throws {
        let configuration = try ConfigurationLoader(schema: ServiceTable.schema).parse(
            "services:\n  - service: daytime\n    port: 6013\n    zone: Atlantis/Capital\n",
            source: "z.yaml"
        )
        #expect(
            throws: ConfigurationErrors([
                ConfigurationError(
                    location: SourceLocation(file: "z.yaml", line: 4, column: 11),
                    keyPath: "services[0].zone",
                    message:
                        "unknown time zone 'Atlantis/Capital' (use local, UTC or an IANA name such as Europe/Paris)"
                )
            ])
        ) {
            try ServiceTable.prepare(configuration, environment: SystemEnvironment.live)
        }
    }

    @Test func realZonesResolve() throws {
        let paris = try #require(SystemEnvironment.resolveZone("Europe/Paris"))
        // 2026-07-01T12:00:00Z is summer time in Paris; 2026-01-01T12:00:00Z is not.
        #expect(paris.offset(atSecondsSinceEpoch: 1_782_907_200) == UTCOffset(seconds: 7200, abbreviation: "CEST"))
        #expect(paris.offset(atSecondsSinceEpoch: 1_767_268_800) == UTCOffset(seconds: 3600, abbreviation: "CET"))
        #expect(SystemEnvironment.resolveZone("UTC")?.offset(atSecondsSinceEpoch: 0) == .utc)
        #expect(SystemEnvironment.resolveZone("local") != nil)
        #expect(SystemEnvironment.resolveZone("Nowhere/Special") == nil)
    }
}
