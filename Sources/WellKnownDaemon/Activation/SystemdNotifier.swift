import CSystemd

#if canImport(Glibc)
import Glibc
#endif

/// sd_notify(3) to the service manager. Without NOTIFY_SOCKET nothing is sent and nothing fails.
struct SystemdNotifier: Sendable {
    let isEnabled: Bool

    init(environment: [String: String]) {
        self.isEnabled = environment["NOTIFY_SOCKET"] != nil
    }

    func send(_ state: String) {
        guard self.isEnabled else { return }
        _ = sd_notify(0, state)
    }

    /// `READY=1` once every listener is up.
    func ready(status: String) { self.send("READY=1\nSTATUS=\(status)") }

    /// `STATUS=`: one human line, shown by `systemctl status`.
    func status(_ status: String) { self.send("STATUS=\(status)") }

    /// `RELOADING=1` with the monotonic time systemd 253+ wants; 252 ignores the extra field.
    func reloading() {
        var now = timespec()
        clock_gettime(CLOCK_MONOTONIC, &now)
        self.send("RELOADING=1\nMONOTONIC_USEC=\(Int64(now.tv_sec) * 1_000_000 + Int64(now.tv_nsec) / 1000)")
    }

    func stopping() { self.send("STOPPING=1") }

    func watchdog() { self.send("WATCHDOG=1") }

    /// Half of WATCHDOG_USEC when the service manager expects keep-alives from us.
    var watchdogInterval: Duration? {
        var usec: UInt64 = 0
        guard self.isEnabled, sd_watchdog_enabled(0, &usec) > 0, usec > 0 else { return nil }
        return .microseconds(Int64(usec / 2))
    }
}
