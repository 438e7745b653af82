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
    /// Boots the machine's systemd in namespaces over a throw-away overlay of /, installs the .deb that
    /// `make deb` built (scripts/test builds it before the tests) with dpkg, and checks: the package enabled and
    /// started the socket unit while the service stays inactive; every service answers over TCP and UDP; the
    /// service became active; `systemctl status` shows our STATUS line; the journal holds the socket-pair lines at
    /// priority 6; reload works; the metrics socket serves the endpoint; an upgrade in place restarts the service
    /// and keeps the edited conffile; a SIGKILL under load loses no connection or datagram sent after it;
    /// `dpkg -r` leaves nothing listening and keeps the conffile; `dpkg --purge` leaves no file of the package.
    /// See Tests/systemd/boot-and-check.sh.
    @Test(.enabled(if: NamespaceBoot.isPossible, "needs root, overlayfs, cgroup2 and namespaces"))
    func installedPackageUnderARealSystemd() throws {
        let repository = URL(fileURLWithPath: NamespaceBoot.script).deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        let packages = repository.appendingPathComponent(".build/packages")
        let debs = ((try? FileManager.default.contentsOfDirectory(atPath: packages.path)) ?? [])
            .filter { $0.hasPrefix("wellknownd_") && $0.hasSuffix(".deb") }.sorted()
        guard let deb = debs.last else {
            Issue.record("no wellknownd_*.deb in \(packages.path): run `make deb` (scripts/test does) first")
            return
        }
        let run = try Subprocess("/bin/bash", [NamespaceBoot.script, packages.appendingPathComponent(deb).path])
        let status = run.waitForExit(timeout: .seconds(240))
        let transcript = run.stdout + run.stderr
        #expect(status == 0, "boot-and-check.sh failed:\n\(transcript)")
        #expect(
            transcript.contains(
                "Status: \"32 listeners (tcpmux 6001 tcp, echo 6007 tcp+udp, discard 6009 tcp+udp, daytime 6013 tcp+udp, qotd 6017 tcp+udp, chargen 6019 tcp+udp, time 6037 tcp+udp, whoami 6099 tcp+udp, ident 6113 tcp); "
            )
        )
        #expect(transcript.contains("systemctl is-enabled wellknownd.socket: enabled (after dpkg -i)"))
        #expect(transcript.contains("wellknownd.service: inactive (before any traffic)"))
        #expect(transcript.contains("wellknownd.service: active (after traffic)"))
        #expect(transcript.contains("listening after dpkg -r: nothing"))
        #expect(transcript.contains("left after dpkg --purge: nothing"))
        #expect(!transcript.contains("FAIL"))
    }
}
