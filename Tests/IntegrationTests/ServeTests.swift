import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The real binary on loopback: every service over TCP and UDP, IPv4 and IPv6, and the log line of every exchange
/// carrying exactly the socket pair the client saw.
@Suite struct ServeTests {
    /// `Wed Nov 25 00:04:48 2026\r\n`, day of month space-padded.
    static func isCtimeLine(_ bytes: [UInt8]) -> Bool {
        let text = String(decoding: bytes, as: UTF8.self)
        return text.wholeMatch(
            of: /[A-Z][a-z]{2} [A-Z][a-z]{2} [ 1-3][0-9] [0-2][0-9]:[0-5][0-9]:[0-6][0-9] [0-9]{4}\r\n/
        ) != nil
    }

    @Test(arguments: ["127.0.0.1", "::1"])
    func everyServiceOverTCPAndUDP(host: String) throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 5, host: host) { p in
            """
            bind: "\(host)"
            services:
              - {service: daytime, port: \(p[0])}
              - {service: time, port: \(p[1])}
              - {service: echo, port: \(p[2])}
              - {service: discard, port: \(p[3])}
              - {service: chargen, port: \(p[4])}
            """
        }
        let server = { (index: Int) in Endpoint(host: host, port: ports[index]).description }
        var expectedRecords: [[String: String]] = []
        func expectLogged(_ service: String, _ proto: String, _ client: Endpoint, _ port: Int, _ more: [String: String])
        {
            let base = [
                "msg": proto == "tcp" ? "connection" : "datagram", "service": service, "proto": proto,
                "client": client.description, "server": server(port),
            ]
            expectedRecords.append(base.merging(more) { $1 })
        }

        // daytime
        do {
            let tcp = try TestSocket(host: host, port: ports[0], type: Int32(SOCK_STREAM.rawValue))
            let (line, eof) = tcp.receive()
            #expect(Self.isCtimeLine(line), "\(line)")
            #expect(eof)
            expectLogged("daytime", "tcp", tcp.localEndpoint, 0, ["bytes_out": "26", "end": "server"])

            let udp = try TestSocket(host: host, port: ports[0], type: Int32(SOCK_DGRAM.rawValue))
            try udp.sendDatagram([])
            let reply = try #require(udp.receiveDatagram())
            #expect(Self.isCtimeLine(reply))
            expectLogged("daytime", "udp", udp.localEndpoint, 0, ["bytes_in": "0", "bytes_out": "26", "reply": "sent"])
        }

        // time
        do {
            let now = Int64(Date().timeIntervalSince1970)
            let tcp = try TestSocket(host: host, port: ports[1], type: Int32(SOCK_STREAM.rawValue))
            let (bytes, eof) = tcp.receive()
            #expect(bytes.count == 4)
            #expect(eof)
            let seconds = Int64(bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }) - 2_208_988_800
            #expect(abs(seconds - now) <= 5)
            expectLogged("time", "tcp", tcp.localEndpoint, 1, ["bytes_out": "4", "end": "server"])

            let udp = try TestSocket(host: host, port: ports[1], type: Int32(SOCK_DGRAM.rawValue))
            try udp.sendDatagram([0x0A])
            #expect(try #require(udp.receiveDatagram()).count == 4)
            expectLogged("time", "udp", udp.localEndpoint, 1, ["bytes_in": "1", "bytes_out": "4"])
        }

        // echo: a stream larger than every buffer on the way, then half-close; datagrams up to the IPv4 maximum.
        do {
            let payload = (0..<300_000).map { UInt8(truncatingIfNeeded: $0 &* 7 &+ $0 >> 9) }
            let tcp = try TestSocket(host: host, port: ports[2], type: Int32(SOCK_STREAM.rawValue))
            // Send from another thread while this one reads: echo needs both directions moving.
            let fd = tcp.fd
            let sender = Thread {
                var offset = 0
                while offset < payload.count {
                    let n = payload[offset...].withUnsafeBytes {
                        Glibc.send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                    }
                    guard n > 0 else { return }
                    offset += n
                }
                shutdown(fd, Int32(SHUT_WR))
            }
            sender.start()
            let (back, eof) = tcp.receive()
            #expect(back == payload)
            #expect(eof, "after the client's half-close the daemon flushes and closes")
            expectLogged(
                "echo",
                "tcp",
                tcp.localEndpoint,
                2,
                ["bytes_in": "300000", "bytes_out": "300000", "end": "client"]
            )

            let udp = try TestSocket(host: host, port: ports[2], type: Int32(SOCK_DGRAM.rawValue))
            for size in [0, 5000, 65507] {
                let datagram = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 13) }
                try udp.sendDatagram(datagram)
                #expect(udp.receiveDatagram() == datagram, "size \(size)")
            }
            expectLogged("echo", "udp", udp.localEndpoint, 2, ["bytes_in": "65507", "bytes_out": "65507"])
        }

        // discard
        do {
            let tcp = try TestSocket(host: host, port: ports[3], type: Int32(SOCK_STREAM.rawValue))
            try tcp.send(Array(repeating: 0x58, count: 10_000))
            tcp.shutdownWrite()
            let (back, eof) = tcp.receive()
            #expect(back.isEmpty)
            #expect(eof)
            expectLogged(
                "discard",
                "tcp",
                tcp.localEndpoint,
                3,
                ["bytes_in": "10000", "bytes_out": "0", "end": "client"]
            )

            let udp = try TestSocket(
                host: host,
                port: ports[3],
                type: Int32(SOCK_DGRAM.rawValue),
                timeout: .milliseconds(300)
            )
            try udp.sendDatagram([1, 2, 3])
            #expect(udp.receiveDatagram() == nil)
            expectLogged("discard", "udp", udp.localEndpoint, 3, ["bytes_in": "3", "bytes_out": "0", "reply": "none"])
        }

        // chargen: the BSD pattern from line 0; a client that resets is logged as such.
        do {
            let cycle: [UInt8] = (0..<95).flatMap { line -> [UInt8] in
                (0..<72).map { UInt8(32 + (line + $0) % 95) } + [13, 10]
            }
            let tcp = try TestSocket(host: host, port: ports[4], type: Int32(SOCK_STREAM.rawValue))
            let (bytes, _) = tcp.receive(limit: 20_000)
            #expect(bytes == (0..<20_000).map { cycle[$0 % cycle.count] })
            let client = tcp.localEndpoint
            tcp.reset()
            expectLogged("chargen", "tcp", client, 4, ["end": "reset"])

            let udp = try TestSocket(host: host, port: ports[4], type: Int32(SOCK_DGRAM.rawValue))
            try udp.sendDatagram([0])
            let reply = try #require(udp.receiveDatagram())
            #expect(reply.count <= 512)
            #expect(reply == Array(cycle.prefix(reply.count)))
            expectLogged("chargen", "udp", udp.localEndpoint, 4, ["bytes_out": "\(reply.count)"])
        }

        for expected in expectedRecords {
            #expect(daemon.waitForRecord(expected) != nil, "no log record with \(expected)\n\(daemon.logText)")
        }

        #expect(daemon.stop() == 0)
        let stopped = try #require(daemon.logLines.last)
        #expect(stopped.contains("msg=stopped"))
        let summary = parseLogfmt(stopped)
        #expect(summary["connections"] == "5")
        #expect(summary["datagrams"] == "7")
        #expect(summary["replies"] == "6", "every datagram but discard's is answered")
    }

    /// AF_UNIX listeners from the configuration: a stream socket logged with the peer's credentials, and a
    /// datagram socket answering a client bound to its own path.
    @Test func portZeroGivesEveryAddressAndTransportOfAnEntryOnePortAndTheLogNamesIt() throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write(
            "wellknownd.yaml",
            "bind: [127.0.0.1, \"::1\"]\nservices:\n  - {service: echo, port: 0}\n  - {service: time, port: 0}\n"
        )
        let (started, log) = try DaemonProcess.start(config: config)
        let daemon = try #require(started, "\(log)")
        let record = try #require(daemon.waitForRecord(["msg": "started"]))
        let ports = boundPorts(in: record["listeners"] ?? "")
        #expect(ports.count == 2, "one port per entry: \(record["listeners"] ?? "")")
        let echo = try #require(ports.first)
        let time = try #require(ports.last)
        #expect(echo != time)
        #expect(
            record["listeners"]
                == "echo/tcp 127.0.0.1:\(echo), echo/tcp [::1]:\(echo), echo/udp 127.0.0.1:\(echo), echo/udp [::1]:\(echo), "
                + "time/tcp 127.0.0.1:\(time), time/tcp [::1]:\(time), time/udp 127.0.0.1:\(time), time/udp [::1]:\(time)"
        )
        for host in ["127.0.0.1", "::1"] {
            let tcp = try TestSocket(host: host, port: echo, type: Int32(SOCK_STREAM.rawValue))
            try tcp.send([1, 2, 3])
            #expect(tcp.receive(limit: 3).bytes == [1, 2, 3])
            let udp = try TestSocket(host: host, port: echo, type: Int32(SOCK_DGRAM.rawValue))
            try udp.sendDatagram([4, 5])
            #expect(udp.receiveDatagram() == [4, 5])
            #expect(
                try TestSocket(host: host, port: time, type: Int32(SOCK_STREAM.rawValue)).receive().bytes.count == 4
            )
        }
        #expect(daemon.stop() == 0)
    }

    @Test func unixSocketsFromTheConfiguration() throws {
        let directory = try TemporaryDirectory()
        let stream = "\(directory.path)/echo.sock"
        let datagrams = "\(directory.path)/daytime.dgram"
        let config = try directory.write(
            "wellknownd.yaml",
            "services:\n  - {service: echo, path: \"\(stream)\"}\n  - {service: daytime, path: \"\(datagrams)\", transport: udp}\n"
        )
        let (started, log) = try DaemonProcess.start(config: config)
        let daemon = try #require(started, "\(log)")
        let check = try runToCompletion(["check", "-c", config])
        #expect(check.stdout.contains("echo     tcp  \(stream)"))

        let echo = try UnixTestSocket(connectingTo: stream, type: Int32(SOCK_STREAM.rawValue))
        try echo.send(Array("over a path".utf8))
        #expect(echo.receive(count: 11) == Array("over a path".utf8))
        echo.close()
        let record = try #require(daemon.waitForRecord(["msg": "connection", "service": "echo", "server": stream]))
        #expect(record["client"] == "unix")
        #expect(record["peer_pid"] == "\(getpid())")
        #expect(record["peer_uid"] == "\(getuid())")

        let client = try UnixTestSocket(
            connectingTo: datagrams,
            type: Int32(SOCK_DGRAM.rawValue),
            bindingTo: "\(directory.path)/client.dgram"
        )
        try client.send([])
        #expect(client.receive(count: 100).count == 26)
        #expect(
            daemon.waitForRecord([
                "msg": "datagram", "service": "daytime", "server": datagrams,
                "client": "\(directory.path)/client.dgram",
            ]) != nil
        )
        #expect(daemon.stop() == 0)
    }

    /// The UDP guard on the real binary: a denied source port gets silence, a burst beyond the source's rate is cut,
    /// and the drops come back as summary lines, not one line per datagram.
    @Test func udpGuardRefusesDeniedSourcesAndCapsBursts() throws {
        let directory = try TemporaryDirectory()
        let clientPort = try freePorts(1, host: "127.0.0.1")[0]
        let (daemon, ports) = try startDaemon(in: directory, portCount: 1, host: "127.0.0.1") { p in
            """
            udp-guard: {deny-source-ports: [\(clientPort)], per-source-rate: 1, per-source-burst: 3, drop-log-interval: 0.3}
            services:
              - {service: echo, port: \(p[0]), transport: udp, bind: 127.0.0.1}
            """
        }
        let denied = try TestSocket(
            host: "127.0.0.1",
            port: ports[0],
            type: Int32(SOCK_DGRAM.rawValue),
            timeout: .milliseconds(300),
            localPort: clientPort
        )
        try denied.sendDatagram([1, 2, 3])
        #expect(denied.receiveDatagram() == nil)

        let flooder = try TestSocket(
            host: "127.0.0.1",
            port: ports[0],
            type: Int32(SOCK_DGRAM.rawValue),
            timeout: .milliseconds(300)
        )
        let started = ContinuousClock.now
        for n in 0..<20 {
            try flooder.sendDatagram([UInt8(n)])
        }
        var replies = 0
        while flooder.receiveDatagram() != nil { replies += 1 }
        let seconds = Int((ContinuousClock.now - started).components.seconds)
        // The burst of 3, plus at most one a second since.
        #expect(replies >= 3)
        #expect(replies <= 3 + seconds + 1)

        #expect(
            daemon.waitForRecord([
                "msg": "dropped datagrams", "reason": "denied-source-port", "count": "1",
                "first_source": "127.0.0.1:\(clientPort)",
            ]) != nil
        )
        let rate = try #require(daemon.waitForRecord(["msg": "dropped datagrams", "reason": "source-rate"]))
        #expect(Int(rate["count"] ?? "") ?? 0 >= 20 - replies - 1)
        let answered = daemon.logLines.filter { parseLogfmt($0)["msg"] == "datagram" }.count
        #expect(answered == replies, "a line per answered datagram, none per dropped one")
        #expect(daemon.stop() == 0)
        #expect(daemon.waitForRecord(["msg": "stopped", "datagrams_dropped": "\(21 - replies)"]) != nil)
    }
}

/// A blocking AF_UNIX client socket; datagram clients bind a path of their own so that replies can reach them.
final class UnixTestSocket {
    private var fd: Int32

    init(connectingTo path: String, type: Int32, bindingTo localPath: String? = nil) throws {
        self.fd = socket(AF_UNIX, type, 0)
        var tv = timeval(tv_sec: 5, tv_usec: 0)
        setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        if let localPath {
            var local = Self.address(localPath)
            _ = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    bind(self.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
            // A daemon started as root serves as nobody: let it send its replies here.
            chmod(localPath, 0o777)
        }
        var remote = Self.address(path)
        let connected = withUnsafePointer(to: &remote) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                connect(self.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard connected == 0 else { throw TestFailure("connect \(path): \(String(cString: strerror(errno)))") }
    }

    private static func address(_ path: String) -> sockaddr_un {
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: Array(path.utf8) + [0]) }
        return address
    }

    func send(_ bytes: [UInt8]) throws {
        let n = bytes.withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
        guard n == bytes.count else { throw TestFailure("send: \(String(cString: strerror(errno)))") }
    }

    func receive(count: Int) -> [UInt8] {
        var buffer = [UInt8](repeating: 0, count: count)
        let n = recv(self.fd, &buffer, count, Int32(MSG_WAITALL))
        return n > 0 ? Array(buffer[0..<n]) : []
    }

    func close() {
        if self.fd >= 0 {
            Glibc.close(self.fd)
            self.fd = -1
        }
    }

    deinit {
        self.close()
    }
}
