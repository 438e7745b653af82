import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The limits and bounds on the real binary.
@Suite struct SafetyTests {
    @Test func theNPlusFirstConnectionFromOneSourceIsRefusedAndIdleOnesAreClosed() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 2, host: "127.0.0.1") { p in
            """
            bind: 127.0.0.1
            limits: {per-source-connections: 2, refusal-log-interval: 0.3}
            services:
              - {service: echo, port: \(p[0]), transport: tcp, idle-timeout: 1.5}
              - {service: daytime, port: \(p[1]), transport: tcp}
            """
        }
        let first = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_STREAM.rawValue))
        let second = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_STREAM.rawValue))
        // Both held open by the daemon before the third arrives: an echo each proves it accepted them. The idle
        // timeout leaves room for a loaded machine (at 0.5 s, a CI run under load once freed a place in time for
        // the third connection to be served).
        try first.send([1])
        #expect(first.receive(limit: 1).bytes == [1])
        try second.send([2])
        #expect(second.receive(limit: 1).bytes == [2])

        // A third connection from the same address, to any service, is closed before any byte is sent.
        let third = try TestSocket(host: "127.0.0.1", port: ports[1], type: Int32(SOCK_STREAM.rawValue))
        let (refused, eof) = third.receive()
        #expect(refused.isEmpty, "daytime sent nothing to a refused connection")
        #expect(eof)
        let summary = try #require(
            daemon.waitForRecord(["msg": "refused connections", "reason": "source-connections"])
        )
        #expect(summary["count"] == "1")
        #expect(summary["first"] == "daytime \(third.localEndpoint) -> 127.0.0.1:\(ports[1])")

        // The idle ones are closed after 1.5 seconds without a byte, and say why.
        #expect(second.receive().eof)
        let idle = try #require(
            daemon.waitForRecord(["msg": "connection", "client": second.localEndpoint.description])
        )
        #expect(idle["end"] == "timeout")
        #expect(first.receive().eof)

        // With the places free again, the same source is served.
        let fourth = try TestSocket(host: "127.0.0.1", port: ports[1], type: Int32(SOCK_STREAM.rawValue))
        #expect(fourth.receive().bytes.count == 26)
        #expect(daemon.stop() == 0)
        let stopped = try #require(daemon.waitForRecord(["msg": "stopped", "connections_refused": "1"]))
        #expect(stopped["connections_refused_by_reason"] == "source-connections:1")
        #expect(stopped["per_service"]?.hasPrefix("echo/tcp:2/0/0/") == true, "accepted/open/refused/...")
        #expect(stopped["per_service"]?.contains("daytime/tcp:1/0/1/0/26") == true, "one served, one refused")
    }

    @Test func deniedSourcesGetNothingOverTCPOrUDPAndAllowedOnesAreServed() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 2, host: "127.0.0.1") { p in
            """
            bind: 127.0.0.1
            allow: [127.0.0.0/8]
            limits: {refusal-log-interval: 0.3}
            udp-guard: {drop-log-interval: 0.3}
            services:
              - {service: daytime, port: \(p[0]), deny: [127.0.0.1/32]}
              - {service: time, port: \(p[1]), transport: tcp}
            """
        }
        // From 127.0.0.1, denied for daytime: closed before any byte, and no datagram answered.
        let tcp = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_STREAM.rawValue))
        let (bytes, eof) = tcp.receive()
        #expect(bytes.isEmpty)
        #expect(eof)
        let udp = try TestSocket(
            host: "127.0.0.1",
            port: ports[0],
            type: Int32(SOCK_DGRAM.rawValue),
            timeout: .milliseconds(300)
        )
        try udp.sendDatagram([])
        #expect(udp.receiveDatagram() == nil)
        // From 127.0.0.2 (in the file's allow list, not in daytime's deny list): served.
        let allowed = try TestSocket(
            host: "127.0.0.1",
            port: ports[0],
            type: Int32(SOCK_STREAM.rawValue),
            localAddress: "127.0.0.2"
        )
        #expect(allowed.receive().bytes.count == 26)
        // time keeps the file's policy: 127.0.0.1 is fine there.
        let time = try TestSocket(host: "127.0.0.1", port: ports[1], type: Int32(SOCK_STREAM.rawValue))
        #expect(time.receive().bytes.count == 4)

        let refused = try #require(daemon.waitForRecord(["msg": "refused connections", "reason": "access-denied"]))
        #expect(refused["first"] == "daytime \(tcp.localEndpoint) -> 127.0.0.1:\(ports[0])")
        let dropped = try #require(daemon.waitForRecord(["msg": "dropped datagrams", "reason": "access-denied"]))
        #expect(dropped["first_source"] == udp.localEndpoint.description)
        #expect(daemon.stop() == 0)
    }

    /// CPU seconds (user + system) the process has used, from /proc/PID/stat.
    static func cpuSeconds(_ pid: pid_t) -> Double {
        guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8),
            let close = stat.lastIndex(of: ")")
        else { return 0 }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        // After the command: state is field 3, utime field 14, stime field 15.
        let ticks = (Double(fields[11]) ?? 0) + (Double(fields[12]) ?? 0)
        return ticks / Double(sysconf(Int32(_SC_CLK_TCK)))
    }

    /// Exhausted, the daemon waits rather than spins: a busy accept loop would burn a whole core.
    static func expectNoSpinning(_ daemon: DaemonProcess) {
        let before = Self.cpuSeconds(daemon.process.pid)
        usleep(2_000_000)
        let spent = Self.cpuSeconds(daemon.process.pid) - before
        #expect(spent < 0.5, "\(spent) CPU seconds in 2 s while out of descriptors")
    }

    /// The daemon serving `services` (one `service` per port of `ports`, TCP, on 127.0.0.1) with 40 descriptors:
    /// the event loops, stdio and the listeners take some; the rest are for connections.
    static func launchShortOfDescriptors(
        _ services: [String],
        in directory: TemporaryDirectory
    ) throws -> (daemon: DaemonProcess, ports: [Int]) {
        let ports = try freePorts(services.count, host: "127.0.0.1")
        let entries = zip(services, ports).map { "  - {service: \($0), port: \($1), transport: tcp}\n" }.joined()
        let config = try directory.write(
            "wellknownd.yaml",
            "bind: 127.0.0.1\nlimits: {per-source-connections: 1000, per-source-accept-burst: 1000}\nservices:\n"
                + entries
        )
        let daemon = try DaemonProcess.launch(
            "/usr/bin/prlimit",
            ["--nofile=40", "--", daemonBinary, "run", "-c", config]
        )
        #expect(daemon.waitForLog(containing: "msg=started", timeout: .seconds(20)) != nil, "\(daemon.logText)")
        return (daemon, ports)
    }

    @Test func outOfFileDescriptorsItBacksOffWithoutSpinningAndRecovers() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try Self.launchShortOfDescriptors(["echo"], in: directory)

        // The first is served before the flood, so it is surely one of the accepted ones: with a listener per event
        // loop the kernel may queue any connection on a loop that then finds no descriptor left (once, in a loaded
        // CI run, the first connection of the flood stayed queued and was not echoed).
        let first = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_STREAM.rawValue))
        try first.send([0])
        #expect(first.receive(limit: 1).bytes == [0])
        var clients = [first]
        for _ in 1..<60 {
            clients.append(try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_STREAM.rawValue)))
        }
        let warning = try #require(
            daemon.waitForRecord(["msg": "accept failed: retrying every 0.25 s, waiting connections stay queued"])
        )
        #expect(warning["error"] == "Too many open files (errno 24)")
        #expect(warning["service"] == "echo")
        Self.expectNoSpinning(daemon)
        #expect(daemon.process.isRunning)

        // The first clients were accepted and are served; with them gone, the queued ones are accepted too.
        try clients[0].send([1])
        #expect(clients[0].receive(limit: 1).bytes == [1])
        let queued = clients.removeLast()
        clients.removeAll()
        try queued.send([2])
        #expect(queued.receive(limit: 1).bytes == [2], "a connection queued while out of descriptors is served")
        let fresh = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_STREAM.rawValue))
        try fresh.send([3])
        #expect(fresh.receive(limit: 1).bytes == [3])
        #expect(daemon.stop() == 0)
    }

    /// The same for a one-shot service, which the daemon's own accept loop serves: with every descriptor held by
    /// echo clients its accepts fail, it backs off without spinning, and the daytime client queued meanwhile gets its
    /// line once descriptors are free.
    @Test func outOfFileDescriptorsTheAcceptLoopBacksOffWithoutSpinningAndRecovers() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try Self.launchShortOfDescriptors(["echo", "daytime"], in: directory)
        let tcp = Int32(SOCK_STREAM.rawValue)
        #expect(try TestSocket(host: "127.0.0.1", port: ports[1], type: tcp).receive().bytes.count == 26)
        // Echo clients take every descriptor left (the surplus waits in the backlog).
        var holders: [TestSocket] = []
        for _ in 0..<60 {
            holders.append(try TestSocket(host: "127.0.0.1", port: ports[0], type: tcp))
        }
        try holders[0].send([0])
        #expect(holders[0].receive(limit: 1).bytes == [0])
        // Only once echo's accepts fail are the descriptors surely all taken: before, a daytime client could still
        // find one free and be answered at once.
        #expect(
            daemon.waitForRecord([
                "msg": "accept failed: retrying every 0.25 s, waiting connections stay queued", "service": "echo",
            ]) != nil,
            "\(daemon.logText)"
        )
        let queued = try TestSocket(host: "127.0.0.1", port: ports[1], type: tcp, timeout: .seconds(10))
        let warning = try #require(
            daemon.waitForRecord([
                "msg": "accept failed: retrying every 0.25 s, waiting connections stay queued", "service": "daytime",
            ]),
            "\(daemon.logText)"
        )
        #expect(warning["error"] == "Too many open files (errno 24)")
        #expect(warning["server"] == "127.0.0.1:\(ports[1])")
        Self.expectNoSpinning(daemon)

        holders.removeAll()
        let line = queued.receive().bytes
        #expect(
            line.count == 26 && line.suffix(2) == Array("\r\n".utf8),
            "a daytime client queued while out of descriptors is served: \(line) \(daemon.logText)"
        )
        #expect(try TestSocket(host: "127.0.0.1", port: ports[1], type: tcp).receive().bytes.count == 26)
        #expect(daemon.stop() == 0)
    }
}
