import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

let socketActivate = "/usr/bin/systemd-socket-activate"

/// The listen backlog of a TCP listener on 127.0.0.1:port, as `ss` reports it (Send-Q of a LISTEN socket).
func listenBacklog(port: Int) -> Int? {
    guard let ss = try? Subprocess("/usr/bin/ss", ["-Hltn", "sport = :\(port)"]),
        ss.waitForExit(timeout: .seconds(10)) == 0
    else { return nil }
    let columns = ss.stdout.split(whereSeparator: { $0 == " " || $0 == "\n" })
    return columns.count >= 3 ? Int(columns[2]) : nil
}

/// Connects until the activator is listening (it binds before it forks nothing: we only need to wait for it).
func connectWhenListening(port: Int, timeout: Duration = .seconds(10)) throws -> TestSocket {
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while true {
        do {
            return try TestSocket(host: "127.0.0.1", port: port, type: Int32(SOCK_STREAM.rawValue))
        } catch {
            if ContinuousClock.now > deadline { throw error }
            usleep(20_000)
        }
    }
}

/// The real binary under systemd-socket-activate (the notes in shared/: one socket type per call, nest two for TCP
/// and UDP, the inner --fdname names them all, the environment is scrubbed but for -E).
@Suite(.enabled(if: FileManager.default.isExecutableFile(atPath: socketActivate), "needs systemd-socket-activate"))
struct ActivationTests {
    @Test func tcpAndUDPNestedWithNotifyAndTheRestBoundByTheDaemon() throws {
        let directory = try TemporaryDirectory()
        let notify = try NotifySocket(in: directory)
        let ports = try freePorts(2, host: "127.0.0.1")
        let config = try directory.write(
            "wellknownd.yaml",
            """
            grace-period: 1
            bind: 127.0.0.1
            services:
              - {service: daytime, port: \(ports[0])}
              - {service: echo, port: \(ports[1]), transport: tcp}
            """
        )
        let activator = try DaemonProcess.launch(
            socketActivate,
            [
                "-l", "127.0.0.1:\(ports[0])", "-E", "NOTIFY_SOCKET=\(notify.path)", "--",
                socketActivate, "-d", "-l", "127.0.0.1:\(ports[0])", "-E", "NOTIFY_SOCKET=\(notify.path)",
                daemonBinary, "run", "--config", config,
            ]
        )
        // The first connection makes both activators exec; the daemon serves it from the inherited socket.
        let first = try connectWhenListening(port: ports[0])
        let (line, eof) = first.receive()
        #expect(line.count == 26)
        #expect(eof)

        let ready = try #require(notify.waitFor("READY=1"), "no READY=1\n\(activator.logText)")
        #expect(ready.contains("STATUS=3 listeners ("))
        #expect(ready.contains("daytime \(ports[0]) tcp+udp"), "the inherited sockets' real port")
        #expect(ready.contains("echo \(ports[1]) tcp"))

        let started = try #require(activator.waitForRecord(["msg": "started"]))
        #expect(
            started["listeners"]
                == "daytime/tcp 127.0.0.1:\(ports[0]) (fd 3), daytime/udp 127.0.0.1:\(ports[0]) (fd 4), echo/tcp 127.0.0.1:\(ports[1])"
        )
        #expect(listenBacklog(port: ports[0]) == 4096, "systemd's backlog survives NIO's adoption")

        let udp = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_DGRAM.rawValue))
        try udp.sendDatagram([])
        #expect(udp.receiveDatagram()?.count == 26)
        let echo = try TestSocket(host: "127.0.0.1", port: ports[1], type: Int32(SOCK_STREAM.rawValue))
        try echo.send(Array("bound by the daemon".utf8))
        #expect(echo.receive(limit: 19).bytes == Array("bound by the daemon".utf8))
        #expect(
            activator.waitForRecord([
                "msg": "datagram", "client": udp.localEndpoint.description, "server": "127.0.0.1:\(ports[0])",
            ]) != nil
        )

        activator.signal(SIGHUP)
        #expect(notify.waitFor("RELOADING=1") != nil)
        #expect(notify.waitFor("READY=1") != nil)

        #expect(activator.stop() == 0)
        #expect(notify.waitFor("STOPPING=1") != nil)
    }

    @Test func udpAloneServesTheDatagramThatWokeIt() throws {
        let directory = try TemporaryDirectory()
        let port = try freePorts(1, host: "127.0.0.1")[0]
        let config = try directory.write(
            "wellknownd.yaml",
            "services:\n  - {service: time, port: \(port), bind: 127.0.0.1}\n"
        )
        let activator = try DaemonProcess.launch(
            socketActivate,
            ["-d", "-l", "127.0.0.1:\(port)", daemonBinary, "run", "--config", config]
        )
        defer { _ = activator.stop() }
        let udp = try TestSocket(
            host: "127.0.0.1",
            port: port,
            type: Int32(SOCK_DGRAM.rawValue),
            timeout: .milliseconds(500)
        )
        var reply: [UInt8]?
        // Until the activator has bound the port the datagram is refused; resend until the first answer.
        for _ in 0..<40 where reply == nil {
            try? udp.sendDatagram([0])
            reply = udp.receiveDatagram()
            if reply == nil { usleep(100_000) }
        }
        #expect(reply?.count == 4)
        #expect(
            activator.waitForRecord([
                "msg": "started", "listeners": "time/udp 127.0.0.1:\(port) (fd 3), time/tcp 127.0.0.1:\(port)",
            ]) != nil
        )
    }

    @Test func aSocketNamedAfterAServiceServesItOnAnyPort() throws {
        let directory = try TemporaryDirectory()
        let ports = try freePorts(2, host: "127.0.0.1")
        // The configuration puts daytime elsewhere; the name decides.
        let config = try directory.write(
            "wellknownd.yaml",
            "services:\n  - {service: daytime, port: \(ports[1]), transport: tcp, bind: 127.0.0.1}\n"
        )
        let activator = try DaemonProcess.launch(
            socketActivate,
            ["-l", "127.0.0.1:\(ports[0])", "--fdname=daytime", daemonBinary, "run", "--config", config]
        )
        defer { _ = activator.stop() }
        let tcp = try connectWhenListening(port: ports[0])
        #expect(tcp.receive().bytes.count == 26)
        #expect(
            activator.waitForRecord(["msg": "started", "listeners": "daytime/tcp 127.0.0.1:\(ports[0]) (fd 3)"]) != nil
        )
        #expect(
            portIsFree(ports[1], host: "127.0.0.1"),
            "the entry was served by the inherited socket, not bound again"
        )
    }

    @Test func anInheritedUnixSocketNamedAfterItsServiceIsServedWithPeerCredentials() throws {
        let directory = try TemporaryDirectory()
        let path = "\(directory.path)/echo.sock"
        let port = try freePorts(1, host: "127.0.0.1")[0]
        let config = try directory.write(
            "wellknownd.yaml",
            "services:\n  - {service: echo, port: \(port), transport: tcp, bind: 127.0.0.1}\n"
        )
        let activator = try DaemonProcess.launch(
            socketActivate,
            ["-l", path, "--fdname=echo", daemonBinary, "run", "--config", config]
        )
        defer { _ = activator.stop() }
        var client: UnixTestSocket?
        for _ in 0..<100 where client == nil {
            client = try? UnixTestSocket(connectingTo: path, type: Int32(SOCK_STREAM.rawValue))
            if client == nil { usleep(20_000) }
        }
        let echo = try #require(client)
        try echo.send(Array("inherited".utf8))
        #expect(echo.receive(count: 9) == Array("inherited".utf8))
        echo.close()
        let record = try #require(activator.waitForRecord(["msg": "connection", "service": "echo", "server": path]))
        #expect(record["peer_pid"] == "\(getpid())")
        #expect(activator.waitForRecord(["msg": "started", "listeners": "echo/tcp \(path) (fd 3)"]) != nil)
    }

    @Test func acceptYesSocketsAreRefusedWithAClearError() throws {
        let directory = try TemporaryDirectory()
        let port = try freePorts(1, host: "127.0.0.1")[0]
        let config = try directory.write(
            "wellknownd.yaml",
            "services:\n  - {service: echo, port: \(port), bind: 127.0.0.1}\n"
        )
        let activator = try DaemonProcess.launch(
            socketActivate,
            ["--accept", "-l", "127.0.0.1:\(port)", daemonBinary, "run", "--config", config]
        )
        defer { _ = activator.stop() }
        let tcp = try connectWhenListening(port: port)
        #expect(tcp.receive().eof)
        let error = try #require(activator.waitForLog(containing: "connected stream (Accept=yes)"))
        #expect(
            error.hasPrefix(
                "fd 3 (name \"unknown\", connected stream (Accept=yes) on 127.0.0.1:\(port)) cannot be served"
            )
        )
        #expect(activator.waitForLog(containing: "socket activation has 1 problem; nothing was started") != nil)
    }
}
