import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// SIGHUP applies a new configuration without a restart.
@Suite struct ReloadTests {
    static let tcp = Int32(SOCK_STREAM.rawValue)
    static let udp = Int32(SOCK_DGRAM.rawValue)

    @Test func aReloadKeepsOpenConnectionsBindsNewSocketsClosesRemovedOnesAndSwapsServices() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 3, host: "127.0.0.1") { p in
            """
            bind: 127.0.0.1
            services:
              - {service: echo, port: \(p[0]), transport: tcp}
              - {service: daytime, port: \(p[1]), format: ctime}
              - {service: discard, port: \(p[2]), transport: tcp}
            """
        }
        let open = try TestSocket(host: "127.0.0.1", port: ports[0], type: Self.tcp)
        try open.send(Array("before".utf8))
        #expect(open.receive(limit: 6).bytes == Array("before".utf8))

        _ = try directory.write(
            "wellknownd.yaml",
            """
            bind: 127.0.0.1
            services:
              - {service: echo, port: 0, transport: tcp}
              - {service: daytime, port: 0, format: rfc3339, zone: UTC}
              - {service: chargen, port: 0, transport: tcp}
            """
        )
        daemon.signal(SIGHUP)
        let reloaded = try #require(daemon.waitForRecord(["msg": "configuration reloaded"]), "\(daemon.logText)")
        // Entries 0 and 1 are the same services on `port: 0`: they keep their sockets and ports. Entry 2 is
        // another service now: a new socket, on a port of its own.
        let chargenPort = try #require(boundPorts(in: reloaded["opened"] ?? "").first)
        #expect(!ports.contains(chargenPort))
        #expect(reloaded["opened"] == "chargen/tcp 127.0.0.1:\(chargenPort)")
        #expect(
            reloaded["listeners"]
                == "echo/tcp 127.0.0.1:\(ports[0]), daytime/tcp 127.0.0.1:\(ports[1]), "
                + "daytime/udp 127.0.0.1:\(ports[1]), chargen/tcp 127.0.0.1:\(chargenPort)"
        )
        #expect(reloaded["closed"] == "discard/tcp 127.0.0.1:\(ports[2])")
        #expect(reloaded["kept"] == "3")

        // The connection opened before the reload still echoes.
        try open.send(Array("after".utf8))
        #expect(open.receive(limit: 5).bytes == Array("after".utf8))
        // The kept daytime sockets serve the new format, over TCP and over UDP.
        let line = String(
            decoding: try TestSocket(host: "127.0.0.1", port: ports[1], type: Self.tcp).receive().bytes,
            as: UTF8.self
        )
        #expect(line.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\r\n/) != nil, "\(line.debugDescription)")
        let datagram = try TestSocket(host: "127.0.0.1", port: ports[1], type: Self.udp)
        try datagram.sendDatagram([])
        let reply = String(decoding: datagram.receiveDatagram() ?? [], as: UTF8.self)
        #expect(reply.wholeMatch(of: /\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d(\.\d+)?Z\r\n/) != nil, "\(reply.debugDescription)")
        // The new socket serves; the removed one is gone.
        let chargen = try TestSocket(host: "127.0.0.1", port: chargenPort, type: Self.tcp)
        #expect(chargen.receive(limit: 10).bytes == Array(" !\"#$%&'()".utf8))
        #expect(throws: TestFailure.self) { try TestSocket(host: "127.0.0.1", port: ports[2], type: Self.tcp) }

        #expect(daemon.stop() == 0)
        let record = try #require(
            daemon.waitForRecord(["msg": "connection", "client": open.localEndpoint.description])
        )
        #expect(record["bytes_in"] == "11", "one connection across the reload")
    }

    @Test func aReloadThatCannotBindChangesNothing() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 2, host: "127.0.0.1") { p in
            """
            bind: 127.0.0.1
            services:
              - {service: echo, port: \(p[0]), transport: tcp}
              - {service: discard, port: \(p[1]), transport: tcp}
            """
        }
        // A port someone else holds, which the new configuration wants.
        let blocked = try freePorts(1, host: "127.0.0.1")[0]
        let taken = try occupy(host: "127.0.0.1", port: blocked)
        defer { close(taken) }
        _ = try directory.write(
            "wellknownd.yaml",
            """
            bind: 127.0.0.1
            services:
              - {service: echo, port: 0, transport: tcp}
              - {service: time, port: \(blocked), transport: tcp}
            """
        )
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLog(containing: "reload failed") != nil)
        let problem = daemon.logLines.compactMap { parseLogfmt($0)["problem"] }.first ?? ""
        #expect(problem.hasPrefix("cannot listen on tcp 127.0.0.1:\(blocked) for time: Address already in use"))
        // Discard, which the failed configuration removed, is still served; so is echo.
        let discard = try TestSocket(host: "127.0.0.1", port: ports[1], type: Self.tcp)
        try discard.send([1, 2, 3])
        let echo = try TestSocket(host: "127.0.0.1", port: ports[0], type: Self.tcp)
        try echo.send([4])
        #expect(echo.receive(limit: 1).bytes == [4])
        #expect(daemon.isRunning)
        #expect(daemon.stop() == 0)
    }

    @Test func changedLimitsTakeEffectAndOpenConnectionsCountAgainstThem() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 1, host: "127.0.0.1") { p in
            "bind: 127.0.0.1\nservices:\n  - {service: echo, port: \(p[0]), transport: tcp}\n"
        }
        let first = try TestSocket(host: "127.0.0.1", port: ports[0], type: Self.tcp)
        let second = try TestSocket(host: "127.0.0.1", port: ports[0], type: Self.tcp)
        for socket in [first, second] {
            try socket.send([7])
            #expect(socket.receive(limit: 1).bytes == [7])
        }
        _ = try directory.write(
            "wellknownd.yaml",
            """
            bind: 127.0.0.1
            limits: {per-source-connections: 2}
            services:
              - {service: echo, port: 0, transport: tcp}
            """
        )
        daemon.signal(SIGHUP)
        #expect(daemon.waitForRecord(["msg": "configuration reloaded"]) != nil)
        let third = try TestSocket(host: "127.0.0.1", port: ports[0], type: Self.tcp)
        #expect(third.receive().eof, "two open connections already fill the new per-source limit")
        first.shutdownWrite()
        #expect(first.receive().eof, "echo closes after a half-close")
        #expect(daemon.waitForRecord(["msg": "connection", "client": first.localEndpoint.description]) != nil)
        let fourth = try TestSocket(host: "127.0.0.1", port: ports[0], type: Self.tcp)
        try fourth.send([8])
        #expect(fourth.receive(limit: 1).bytes == [8], "a place came free")
        #expect(daemon.stop() == 0)
    }

    @Test func aReloadClosesOpenConnectionsItsAccessListsNoLongerAdmitAndKeepsTheOthers() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 2, host: "127.0.0.1") { p in
            """
            bind: 127.0.0.1
            services:
              - {service: echo, port: \(p[0]), transport: tcp}
              - {service: discard, port: \(p[1]), transport: tcp}
            """
        }
        let echo = try TestSocket(host: "127.0.0.1", port: ports[0], type: Self.tcp)
        try echo.send([1])
        #expect(echo.receive(limit: 1).bytes == [1])
        let discard = try TestSocket(host: "127.0.0.1", port: ports[1], type: Self.tcp)
        try discard.send([2])
        _ = try directory.write(
            "wellknownd.yaml",
            """
            bind: 127.0.0.1
            services:
              - {service: echo, port: 0, transport: tcp, deny: [127.0.0.0/8]}
              - {service: discard, port: 0, transport: tcp}
            """
        )
        daemon.signal(SIGHUP)
        let reloaded = try #require(daemon.waitForRecord(["msg": "configuration reloaded"]), "\(daemon.logText)")
        #expect(reloaded["connections_revoked"] == "1")
        #expect(echo.receive().eof, "the denied client's open connection is closed at once")
        let record = try #require(
            daemon.waitForRecord(["msg": "connection", "client": echo.localEndpoint.description])
        )
        #expect(record["end"] == "revoked")
        #expect(record["bytes_in"] == "1")
        try discard.send([3])
        discard.shutdownWrite()
        #expect(discard.receive().eof)
        let discarded = try #require(
            daemon.waitForRecord(["msg": "connection", "client": discard.localEndpoint.description])
        )
        #expect(discarded["end"] == "client", "not revoked: discard still admits its client")
        #expect(daemon.stop() == 0)
        let stopped = try #require(daemon.waitForRecord(["msg": "stopped"]))
        #expect(stopped["connections_refused_by_reason"]?.contains("access-revoked:1") == true)
        #expect(discarded["bytes_in"] == "2")
    }
}
