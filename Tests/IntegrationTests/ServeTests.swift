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
}
