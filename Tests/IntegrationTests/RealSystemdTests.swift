import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Whether this machine lets us boot systemd as PID 1 of private namespaces: root, overlayfs, cgroup2 and
/// unshare(2) for pid, mount, net, uts and ipc. Where it does not, the test below is reported as skipped, with
/// this reason, never as passed.
enum NamespaceBoot {
    static let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("systemd/boot-and-check.sh").path

    static var isPossible: Bool {
        guard getuid() == 0, FileManager.default.isExecutableFile(atPath: "/lib/systemd/systemd"),
            let filesystems = try? String(contentsOfFile: "/proc/filesystems", encoding: .utf8),
            filesystems.contains("overlay"), filesystems.contains("cgroup2"),
            let probe = try? Subprocess(
                "/usr/bin/unshare",
                ["--pid", "--fork", "--mount", "--net", "--uts", "--ipc", "true"]
            )
        else { return false }
        return probe.waitForExit(timeout: .seconds(10)) == 0
    }
}

@Suite(.serialized)
struct RealSystemdTests {
    /// Boots the machine's systemd in namespaces over a throw-away overlay of /, installs the built binary, the
    /// shipped units and configuration, and checks: the socket unit starts while the service stays inactive; every
    /// service answers over TCP and UDP; the service became active; `systemctl status` shows our STATUS line; the
    /// journal holds the socket-pair lines at priority 6; reload works; the metrics socket serves the endpoint; a
    /// SIGKILL under load loses no connection or datagram; stop works. See Tests/systemd/boot-and-check.sh.
    @Test(.enabled(if: NamespaceBoot.isPossible, "needs root, overlayfs, cgroup2 and namespaces"))
    func socketActivatedUnderARealSystemd() throws {
        let repository = URL(fileURLWithPath: NamespaceBoot.script).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent().path
        let run = try Subprocess("/bin/bash", [NamespaceBoot.script, daemonBinary, repository])
        let status = run.waitForExit(timeout: .seconds(180))
        let transcript = run.stdout + run.stderr
        #expect(status == 0, "boot-and-check.sh failed:\n\(transcript)")
        #expect(
            transcript.contains(
                "Status: \"32 listeners (tcpmux 6001 tcp, echo 6007 tcp+udp, discard 6009 tcp+udp, daytime 6013 tcp+udp, qotd 6017 tcp+udp, chargen 6019 tcp+udp, time 6037 tcp+udp, whoami 6099 tcp+udp, ident 6113 tcp); "
            )
        )
        #expect(transcript.contains("wellknownd.service: inactive (before any traffic)"))
        #expect(transcript.contains("wellknownd.service: active (after traffic)"))
        #expect(!transcript.contains("FAIL"))
    }
}
