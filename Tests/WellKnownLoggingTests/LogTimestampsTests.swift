import Testing
import WellKnownCalendar

@testable import WellKnownLogging

@Suite struct LogTimestampsTests {
    /// One stamp object across seconds and milliseconds, in the orders a log sees them (the same millisecond again,
    /// the next one, a new second at the same millisecond, time stepping back): each stamp is its own time's.
    @Test func eachStampIsItsOwnTimeWhateverCameBefore() {
        let timestamps = LogTimestamps()
        let times: [(Int64, Int32, String)] = [
            (1_795_565_088, 7_000_000, "2026-11-25T00:04:48.007Z"),
            (1_795_565_088, 7_999_999, "2026-11-25T00:04:48.007Z"),
            (1_795_565_088, 8_000_000, "2026-11-25T00:04:48.008Z"),
            (1_795_565_088, 999_999_999, "2026-11-25T00:04:48.999Z"),
            (1_795_565_089, 999_000_000, "2026-11-25T00:04:49.999Z"),
            (1_795_565_089, 120_000_000, "2026-11-25T00:04:49.120Z"),
            (1_795_565_088, 120_000_000, "2026-11-25T00:04:48.120Z"),
            (0, 0, "1970-01-01T00:00:00.000Z"),
            // A year of five digits makes the stamp longer than its first room; a later ordinary one fits again.
            (253_402_300_800, 5_000_000, "10000-01-01T00:00:00.005Z"),
            (1_795_565_088, 5_000_000, "2026-11-25T00:04:48.005Z"),
        ]
        for (seconds, nanoseconds, expected) in times {
            let out = LogBytes()
            timestamps.append(WallClockTime(secondsSinceEpoch: seconds, nanoseconds: nanoseconds), to: out)
            #expect(String(decoding: out.bytes, as: UTF8.self) == expected)
        }
    }
}
