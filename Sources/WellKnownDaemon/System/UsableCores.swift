import Foundation
import NIOCore

/// How many event loops to run: one per core this process may run on. NIO's `System.coreCount` reads the cgroup's
/// cpuset and quota but not the process's own CPU affinity, so a daemon started under `taskset -c 0` or systemd's
/// `CPUAffinity=` would run two loops on one core, switching between them for nothing.
enum UsableCores {
    static var count: Int {
        let cgroup = System.coreCount
        // sched_getaffinity(2) is not in Swift's Glibc module (it wants _GNU_SOURCE); the kernel shows the same
        // mask as /proc/self/status's Cpus_allowed.
        guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
            let allowed = Self.allowedCPUs(status: status)
        else { return cgroup }
        return max(1, min(cgroup, allowed))
    }

    /// The number of CPUs in `Cpus_allowed:` (comma-separated 32-bit hex words), or nil without that line.
    static func allowedCPUs(status: String) -> Int? {
        guard let line = status.split(separator: "\n").first(where: { $0.hasPrefix("Cpus_allowed:") }) else {
            return nil
        }
        let mask = line.dropFirst("Cpus_allowed:".count).trimmingCharacters(in: .whitespaces)
        var count = 0
        for word in mask.split(separator: ",") {
            guard let bits = UInt32(word, radix: 16) else { return nil }
            count += bits.nonzeroBitCount
        }
        return count
    }
}
