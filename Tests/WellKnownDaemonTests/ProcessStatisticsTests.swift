import Testing

@testable import WellKnownDaemon

@Suite struct ProcessStatisticsTests {
    /// A command name with spaces and parentheses, as a process may give itself: the fields are counted from the
    /// last `)`.
    static let stat =
        "4242 (well (known) d) S 1 4242 4242 0 -1 4194560 1000 0 0 0 250 50 0 0 20 0 3 0 12345 696012800 9087 "
        + "18446744073709551615 1 1 0 0 0 0 0 4096 0 0 0 0 17 1 0 0 0 0 0\n"

    @Test func statFieldsAreReadAsProc5NumbersThem() throws {
        let statistics = try #require(
            ProcessStatistics.parse(stat: Self.stat, bootTime: 1_700_000_000, ticksPerSecond: 100, pageSize: 4096)
        )
        #expect(statistics.cpuSeconds == 3.0, "utime 250 + stime 50 ticks")
        #expect(statistics.startTime == 1_700_000_123.45, "boot time + 12345 ticks")
        #expect(statistics.virtualBytes == 696_012_800)
        #expect(statistics.residentBytes == 9087 * 4096)
    }

    @Test func aTruncatedLineIsNotRead() {
        #expect(
            ProcessStatistics.parse(stat: "4242 (x) S 1 2 3", bootTime: 0, ticksPerSecond: 100, pageSize: 4096) == nil
        )
        #expect(ProcessStatistics.parse(stat: "garbage", bootTime: 0, ticksPerSecond: 100, pageSize: 4096) == nil)
    }

    @Test func bootTimeComesFromBtime() {
        #expect(ProcessStatistics.bootTime(procStat: "cpu  1 2 3\nbtime 1764547200\nprocesses 9\n") == 1_764_547_200)
        #expect(ProcessStatistics.bootTime(procStat: "cpu  1 2 3\n") == nil)
    }

    @Test func thisProcessCanBeRead() throws {
        let statistics = try #require(ProcessStatistics.current())
        #expect(statistics.openDescriptors >= 3)
        #expect(statistics.maximumDescriptors >= statistics.openDescriptors)
        #expect(statistics.residentBytes > 0)
    }
}
