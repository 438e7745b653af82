import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The `process_*` figures every Prometheus client exports, read from /proc as client_golang's process collector
/// reads them. swift-prometheus has no process collector and swift-metrics-extras (which had one) is not among
/// our dependencies, so these few lines are ours.
struct ProcessStatistics: Sendable, Equatable {
    var cpuSeconds: Double
    var startTime: Double
    var residentBytes: Double
    var virtualBytes: Double
    var openDescriptors: Int
    var maximumDescriptors: Int

    /// This process now, or nil where /proc cannot be read.
    static func current() -> ProcessStatistics? {
        guard let stat = try? String(contentsOfFile: "/proc/self/stat", encoding: .utf8),
            let system = try? String(contentsOfFile: "/proc/stat", encoding: .utf8),
            let bootTime = Self.bootTime(procStat: system),
            var statistics = Self.parse(
                stat: stat,
                bootTime: bootTime,
                ticksPerSecond: Double(sysconf(Int32(_SC_CLK_TCK))),
                pageSize: Double(sysconf(Int32(_SC_PAGESIZE)))
            )
        else { return nil }
        // The directory's own descriptor is in the listing, as in every client that counts this way.
        statistics.openDescriptors = (try? FileManager.default.contentsOfDirectory(atPath: "/proc/self/fd").count) ?? 0
        var limit = rlimit()
        if getrlimit(Int32(RLIMIT_NOFILE.rawValue), &limit) == 0 {
            statistics.maximumDescriptors = Int(clamping: limit.rlim_cur)
        }
        return statistics
    }

    /// `/proc/self/stat`: the fields after the command name, which is in parentheses and may itself hold spaces
    /// and parentheses (hence the last `)`). proc(5) numbers them from 1: utime 14, stime 15, starttime 22,
    /// vsize 23, rss 24.
    static func parse(stat: String, bootTime: Double, ticksPerSecond: Double, pageSize: Double) -> ProcessStatistics? {
        guard let close = stat.lastIndex(of: ")") else { return nil }
        // After ")": field 3 (state) is the first.
        let fields = stat[stat.index(after: close)...].split(separator: " ", omittingEmptySubsequences: true)
        func field(_ number: Int) -> Double? {
            let index = number - 3
            return fields.indices.contains(index) ? Double(fields[index]) : nil
        }
        guard ticksPerSecond > 0, let user = field(14), let system = field(15), let start = field(22),
            let virtual = field(23), let resident = field(24)
        else { return nil }
        return ProcessStatistics(
            cpuSeconds: (user + system) / ticksPerSecond,
            startTime: bootTime + start / ticksPerSecond,
            residentBytes: resident * pageSize,
            virtualBytes: virtual,
            openDescriptors: 0,
            maximumDescriptors: 0
        )
    }

    /// `btime` of /proc/stat: when the machine booted, in Unix seconds.
    static func bootTime(procStat: String) -> Double? {
        for line in procStat.split(separator: "\n") where line.hasPrefix("btime ") {
            return Double(line.dropFirst("btime ".count).trimmingCharacters(in: .whitespaces))
        }
        return nil
    }
}
