import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// Started as root, the daemon serves as an unprivileged user unless the file says `user: root`.
@Suite(.enabled(if: geteuid() == 0, "needs to be started as root"))
struct PrivilegeTests {
    /// `Uid:` and `Gid:` of /proc/PID/status (real, effective, saved, filesystem) and `Groups:`.
    static func identity(of pid: pid_t) throws -> (uids: [String], gids: [String], groups: [String]) {
        let status = try String(contentsOfFile: "/proc/\(pid)/status", encoding: .utf8)
        func field(_ name: String) -> [String] {
            let line = status.split(separator: "\n").first { $0.hasPrefix("\(name):") } ?? ""
            return line.dropFirst(name.count + 1).split(whereSeparator: \.isWhitespace).map(String.init)
        }
        return (field("Uid"), field("Gid"), field("Groups"))
    }

    @Test func byDefaultItBindsAsRootThenServesAsNobody() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 1, host: "127.0.0.1") { p in
            "services:\n  - {service: echo, port: \(p[0]), bind: 127.0.0.1}\n"
        }
        let dropped = try #require(daemon.waitForRecord(["msg": "privileges dropped"]))
        #expect(dropped["user"] == "nobody")
        #expect(dropped["uid"] == "65534")
        let identity = try Self.identity(of: daemon.process.pid)
        #expect(identity.uids == ["65534", "65534", "65534", "65534"])
        #expect(identity.gids == Array(repeating: dropped["gid"] ?? "?", count: 4))
        #expect(identity.groups == [dropped["gid"] ?? "?"], "no supplementary group of root's is left")
        // It serves, over both transports, as nobody.
        let tcp = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_STREAM.rawValue))
        try tcp.send([1, 2])
        #expect(tcp.receive(limit: 2).bytes == [1, 2])
        let udp = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_DGRAM.rawValue))
        try udp.sendDatagram([3])
        #expect(udp.receiveDatagram() == [3])
        #expect(daemon.stop() == 0)
    }

    @Test func aConfiguredUserAndGroupAreUsed() throws {
        let directory = try TemporaryDirectory()
        let (daemon, _) = try startDaemon(in: directory, portCount: 1, host: "127.0.0.1") { p in
            "user: daemon\ngroup: nogroup\nservices:\n  - {service: time, port: \(p[0]), bind: 127.0.0.1}\n"
        }
        #expect(daemon.waitForRecord(["msg": "privileges dropped", "user": "daemon", "group": "nogroup"]) != nil)
        let identity = try Self.identity(of: daemon.process.pid)
        #expect(identity.uids == ["1", "1", "1", "1"], "daemon is uid 1 on Debian")
        #expect(identity.gids == ["65534", "65534", "65534", "65534"])
        #expect(daemon.stop() == 0)
    }

    @Test func aConfigurationTheServingUserCannotReadIsNamedAtStartAndOnReload() throws {
        let directory = try TemporaryDirectory()
        let (daemon, _) = try startDaemon(in: directory, portCount: 1, host: "127.0.0.1") { p in
            "services:\n  - {service: time, port: \(p[0]), bind: 127.0.0.1}\n"
        }
        // The started daemon already read it; from now on only root may.
        let config = "\(directory.path)/wellknownd.yaml"
        #expect(chmod(config, 0o600) == 0)
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLog(containing: "reload failed") != nil)
        let problem = daemon.logLines.compactMap { parseLogfmt($0)["problem"] }.first ?? ""
        #expect(problem.contains("Permission denied (reading as user nobody (uid 65534))"), "\(problem)")
        #expect(daemon.stop() == 0)

        // Started again on the unreadable file, it warns as soon as it runs as nobody.
        let (again, log) = try DaemonProcess.start(config: config)
        let restarted = try #require(again, "\(log)")
        let warning = try #require(
            restarted.waitForRecord([
                "msg": "the configuration cannot be read by the user the daemon now runs as: reloads will fail"
            ])
        )
        #expect(warning["user"] == "nobody")
        #expect(warning["config"] == config)
        #expect(restarted.stop() == 0)
    }

    @Test func onlyAnExplicitUserRootKeepsRoot() throws {
        let directory = try TemporaryDirectory()
        let (daemon, _) = try startDaemon(in: directory, portCount: 1, host: "127.0.0.1") { p in
            "user: root\nservices:\n  - {service: time, port: \(p[0]), bind: 127.0.0.1}\n"
        }
        #expect(daemon.waitForLog(containing: "serving as root, as the configuration says") != nil)
        #expect(try Self.identity(of: daemon.process.pid).uids == ["0", "0", "0", "0"])
        #expect(daemon.stop() == 0)
    }

    @Test func anUnknownUserIsAConfigurationErrorWithItsPosition() throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write(
            "wellknownd.yaml",
            "user: no-such-user\ngroup: no-such-group\nservices:\n  - {service: time, port: 6037}\n"
        )
        let result = try runToCompletion(["check", "-c", config])
        #expect(result.status == 78)
        #expect(result.stderr.contains("\(config):1:7: user: no user 'no-such-user' on this system"))
        #expect(result.stderr.contains("\(config):2:8: group: no group 'no-such-group' on this system"))
    }
}
