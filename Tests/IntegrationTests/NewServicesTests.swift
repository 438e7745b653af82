import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// qotd and whoami on the real binary: what a client on loopback gets, and what the log says of it.
@Suite struct NewServicesTests {
    static let tcp = Int32(SOCK_STREAM.rawValue)
    static let udp = Int32(SOCK_DGRAM.rawValue)

    @Test(arguments: ["127.0.0.1", "::1"])
    func whoamiTellsEachClientTheSocketPairItsOwnSocketHas(host: String) throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 1, host: host) { p in
            "bind: \"\(host)\"\nservices:\n  - {service: whoami, port: \(p[0])}\n"
        }
        let server = Endpoint(host: host, port: ports[0]).description
        let stream = try TestSocket(host: host, port: ports[0], type: Self.tcp)
        let line = String(decoding: stream.receive().bytes, as: UTF8.self)
        #expect(line == "proto=tcp client=\(stream.localEndpoint) server=\(server)\r\n")

        let datagram = try TestSocket(host: host, port: ports[0], type: Self.udp)
        try datagram.sendDatagram([1])
        let reply = String(decoding: datagram.receiveDatagram() ?? [], as: UTF8.self)
        #expect(reply == "proto=udp client=\(datagram.localEndpoint) server=\(server)\r\n")
        let record = try #require(
            daemon.waitForRecord(["msg": "connection", "client": stream.localEndpoint.description])
        )
        #expect(record["server"] == server, "the line and the log agree on the pair")
        #expect(daemon.stop() == 0)
    }

    @Test func qotdServesTheFilesQuotesRereadsThemOnReloadAndDropsWhatTheCapWouldCut() throws {
        let directory = try TemporaryDirectory()
        let quotes = try directory.write("quotes", "The first quote.\n")
        let (daemon, ports) = try startDaemon(in: directory, portCount: 1, host: "127.0.0.1") { p in
            """
            bind: 127.0.0.1
            udp-guard: {drop-log-interval: 0.3}
            services:
              - {service: qotd, port: \(p[0]), quotes: \(quotes)}
            """
        }
        let first = try TestSocket(host: "127.0.0.1", port: ports[0], type: Self.tcp).receive()
        #expect(first.bytes == Array("The first quote.\r\n".utf8))
        #expect(first.eof)
        let datagram = try TestSocket(host: "127.0.0.1", port: ports[0], type: Self.udp, timeout: .milliseconds(500))
        try datagram.sendDatagram([])
        #expect(datagram.receiveDatagram() == Array("The first quote.\r\n".utf8))

        // The file is read again on reload; a quote longer than the 64-byte reply floor is never cut over UDP.
        let long = String(repeating: "a longer quote ", count: 6)
        _ = try directory.write("quotes", "\(long)\n")
        daemon.signal(SIGHUP)
        #expect(daemon.waitForRecord(["msg": "configuration reloaded"]) != nil)
        let second = try TestSocket(host: "127.0.0.1", port: ports[0], type: Self.tcp).receive()
        #expect(second.bytes == Array("\(long)\r\n".utf8), "TCP has no cap")
        try datagram.sendDatagram([1])
        #expect(datagram.receiveDatagram() == nil, "the whole quote is dropped rather than cut")
        let dropped = try #require(daemon.waitForRecord(["msg": "dropped datagrams", "reason": "reply-cap"]))
        #expect(dropped["count"] == "1")

        // A file that becomes bad is rejected at the key, and the old quotes go on.
        _ = try directory.write("quotes", "%\n")
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLog(containing: "reload failed") != nil)
        let problem = daemon.logLines.compactMap { parseLogfmt($0)["problem"] }.last ?? ""
        #expect(
            problem.hasSuffix(
                "services[0].quotes: \(quotes):1: the file holds no quote (quotes are separated by lines holding %)"
            ),
            "\(problem)"
        )
        #expect(
            try TestSocket(host: "127.0.0.1", port: ports[0], type: Self.tcp).receive().bytes
                == Array("\(long)\r\n".utf8)
        )
        #expect(daemon.stop() == 0)
    }

    /// ident finds a connection between this host and the asker in the kernel's socket table (netlink sock_diag):
    /// the test's own listener and a client connected to it, on loopback, so both sockets are the test's.
    @Test(arguments: ["127.0.0.1", "::1"])
    func identAnswersForAConnectionBetweenThisHostAndTheAskerOnly(host: String) throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 2, host: host) { p in
            """
            bind: "\(host)"
            services:
              - {service: ident, port: \(p[0]), reply: uid}
              - {service: ident, port: \(p[1])}
            """
        }
        let listenerPort = try freePorts(1, host: host)[0]
        let listener = try occupy(host: host, port: listenerPort)
        defer { close(listener) }
        let connection = try TestSocket(host: host, port: listenerPort, type: Self.tcp)
        let clientPort = connection.localEndpoint.port

        let ask = try TestSocket(host: host, port: ports[0], type: Self.tcp)
        try ask.send(Array("\(listenerPort) , \(clientPort)\r\n\(listenerPort),1\r\n0 , 70000\r\n".utf8))
        ask.shutdownWrite()
        let replies = String(decoding: ask.receive().bytes, as: UTF8.self)
        #expect(
            replies
                == "\(listenerPort) , \(clientPort) : USERID : UNIX : \(geteuid())\r\n"
                + "\(listenerPort) , 1 : ERROR : NO-USER\r\n"
                + "0 , 70000 : ERROR : INVALID-PORT\r\n"
        )

        let hidden = try TestSocket(host: host, port: ports[1], type: Self.tcp)
        try hidden.send(Array("\(listenerPort),\(clientPort)\n".utf8))
        hidden.shutdownWrite()
        #expect(
            String(decoding: hidden.receive().bytes, as: UTF8.self)
                == "\(listenerPort) , \(clientPort) : ERROR : HIDDEN-USER\r\n",
            "by default only whether the connection exists"
        )
        #expect(daemon.stop() == 0)
    }
}
