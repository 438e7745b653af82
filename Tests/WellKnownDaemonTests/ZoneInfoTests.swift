import Testing
import WellKnownServices

@testable import WellKnownDaemon

@Suite struct ZoneInfoTests {
    @Test(
        arguments: [
            ("CET-1CEST,M3.5.0,M10.5.0/3", "CET", "CEST"),
            ("EST5EDT,M3.2.0,M11.1.0", "EST", "EDT"),
            ("<+0530>-5:30", "+0530", nil),
            ("<-03>3", "-03", nil),
            ("UTC0", "UTC", nil),
            ("IST-5:30", "IST", nil),
        ] as [(String, String, String?)]
    )
    func posixFooterNames(footer: String, standard: String, daylight: String?) throws {
        let names = try #require(TZifFile.parseFooter(footer))
        #expect(names.standard == standard)
        #expect(names.daylight == daylight)
    }

    @Test(
        arguments: [
            ("Europe/Paris", Int64(1_782_907_200), "CEST", 7200),  // 2026-07-01, summer time
            ("Europe/Paris", 1_767_268_800, "CET", 3600),  // 2026-01-01
            ("Europe/Paris", 4_102_444_800 + 180 * 86400, "CEST", 7200),  // mid-2100: past the table, from the footer
            ("America/New_York", 1_767_268_800, "EST", -18000),
            ("America/New_York", 1_782_907_200, "EDT", -14400),
            ("Asia/Kolkata", 1_767_268_800, "IST", 19800),
            ("Asia/Kathmandu", 1_767_268_800, "+0545", 20700),
        ] as [(String, Int64, String, Int)]
    )
    func namedZonesUseTheDatabaseAbbreviations(zone: String, at: Int64, abbreviation: String, offset: Int) throws {
        let rules = try #require(NamedZone(identifier: zone))
        #expect(rules.offset(atSecondsSinceEpoch: at) == UTCOffset(seconds: offset, abbreviation: abbreviation))
    }

    @Test func historicalTransitionsComeFromTheTable() throws {
        // 1940-07-01: Paris under German time (CEST); 1900: Paris Mean Time.
        let rules = try #require(NamedZone(identifier: "Europe/Paris"))
        #expect(rules.offset(atSecondsSinceEpoch: -930_960_000).abbreviation == "CEST")
        #expect(rules.offset(atSecondsSinceEpoch: -2_208_988_800).abbreviation == "PMT")
    }

    @Test func namesThatCouldEscapeZoneinfoAreRefused() {
        #expect(NamedZone(identifier: "../../etc/passwd") == nil)
        #expect(NamedZone(identifier: "/etc/localtime") == nil)
        #expect(NamedZone(identifier: "") == nil)
    }
}
