import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Testing
import WellKnownConfig
import WellKnownLogging
import WellKnownServices

@testable import WellKnownDaemon

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's own UDP path, on real loopback sockets: `DatagramLoop` reading with recvmmsg and answering with
/// sendmmsg through `DatagramServing` and `DatagramPolicy`.
@Suite struct DatagramLoopTests {
    /// A client socket on 127.0.0.1 (or ::1) with a port of its own.
    final class Client {
        let fd: Int32
        let port: Int
        private let family: Int32

        init(ipv6: Bool = false) throws {
            let family = ipv6 ? AF_INET6 : AF_INET
            let fd = socket(family, Int32(SOCK_DGRAM.rawValue), 0)
            var timeout = timeval(tv_sec: 0, tv_usec: 500_000)
            setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
            var buffer: Int32 = 8 << 20
            setsockopt(fd, SOL_SOCKET, SO_RCVBUF, &buffer, socklen_t(MemoryLayout<Int32>.size))
            let local = try SocketAddress(ipAddress: ipv6 ? "::1" : "127.0.0.1", port: 0)
            let bound = local.withSockAddr { Glibc.bind(fd, $0, socklen_t($1)) }
            var storage = sockaddr_storage()
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            _ = withUnsafeMutablePointer(to: &storage) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
            }
            self.fd = fd
            self.family = family
            // sin_port and sin6_port sit at the same offset.
            self.port = withUnsafeBytes(of: storage) {
                Int(UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
            }
            try #require(bound == 0)
        }

        deinit { close(self.fd) }

        func send(_ bytes: [UInt8], to port: Int, host: String? = nil) throws {
            let target = try SocketAddress(
                ipAddress: host ?? (self.family == AF_INET6 ? "::1" : "127.0.0.1"),
                port: port
            )
            let sent = target.withSockAddr { sendto(self.fd, bytes, bytes.count, 0, $0, socklen_t($1)) }
            try #require(sent == bytes.count)
        }

        /// The next datagram, or nil after half a second.
        func receive() -> [UInt8]? {
            var buffer = [UInt8](repeating: 0, count: 65536)
            let count = recv(self.fd, &buffer, buffer.count, 0)
            return count >= 0 ? Array(buffer.prefix(count)) : nil
        }
    }

    static func route(
        _ service: ServiceDescriptor,
        guard guardState: DatagramGuardState = DatagramGuardState(settings: UDPGuardConfiguration(), ownPorts: [])
    ) throws -> Route {
        Route(
            service: service.name,
            transport: .udp,
            instance: try service.makeInstance(options: ServiceOptions(), environment: SystemEnvironment.live),
            admission: EntryAdmission(key: service.name),
            bounds: StreamBounds(),
            counters: ServiceCounters(service: service.name, transport: .udp),
            datagramGuard: guardState
        )
    }

    /// A resumed socket on `host`, port chosen by the kernel.
    static func serve(
        _ route: Route,
        on host: String = "127.0.0.1",
        v6only: SocketOptionValue? = nil,
        packetInfo: Bool = false,
        logs: CapturedLogs = CapturedLogs(),
        paused: Bool = false
    ) async throws -> BatchedDatagramSocket {
        let loop = DatagramLoop(name: "test-udp", logger: logs.logger())
        let socket = try BatchedDatagramSocket.bind(
            try SocketAddress(ipAddress: host, port: 0),
            v6only: v6only,
            packetInfo: packetInfo,
            route: route,
            loop: loop
        )
        if !paused {
            try await socket.resume()
        }
        return socket
    }

    /// A burst read in one recvmmsg is admitted at one reading of the guard's clock, however many datagrams it holds.
    @Test func aBurstReadsTheGuardsClockOnce() async throws {
        let readings = NIOLockedValueBox(0)
        var settings = UDPGuardConfiguration()
        settings.perSourceBurst = 1000
        let guardState = DatagramGuardState(settings: settings, ownPorts: []) {
            readings.withLockedValue { $0 += 1 }
            return .now()
        }
        let echo = try Self.route(.echo, guard: guardState)
        // Paused: the datagrams wait in the socket's queue, so the loop's first recvmmsg reads them all.
        let socket = try await Self.serve(echo, paused: true)
        let port = try #require(socket.localAddress?.port)
        let client = try Client()
        let count = DatagramBatch.capacity / 2
        for index in 0..<count {
            try client.send([UInt8(index)], to: port)
        }
        let before = readings.withLockedValue { $0 }
        try await socket.resume()
        for _ in 0..<count {
            #expect(client.receive() != nil)
        }
        #expect(echo.counters.replies.load(ordering: .relaxed) == count)
        #expect(readings.withLockedValue { $0 } - before == 1)
        await socket.close()
    }

    @Test func aBurstLargerThanOneBatchIsAnsweredWholeAndEveryDatagramRecorded() async throws {
        let logs = CapturedLogs()
        // A burst larger than the default per-source allowance: this test is about batches, not the guard.
        var settings = UDPGuardConfiguration()
        settings.perSourceBurst = 1000
        settings.totalBurst = 1000
        let echo = try Self.route(.echo, guard: DatagramGuardState(settings: settings, ownPorts: []))
        let socket = try await Self.serve(echo, logs: logs)
        let port = try #require(socket.localAddress?.port)
        let client = try Client()
        let count = DatagramBatch.capacity * 3 + 5
        for index in 0..<count {
            try client.send(Array("datagram \(index)".utf8), to: port)
        }
        var replies: Set<String> = []
        for _ in 0..<count {
            replies.insert(String(decoding: try #require(client.receive()), as: UTF8.self))
        }
        #expect(replies == Set((0..<count).map { "datagram \($0)" }))
        #expect(echo.counters.accepted.load(ordering: .relaxed) == count)
        #expect(echo.counters.replies.load(ordering: .relaxed) == count)
        let records = logs.all.filter { $0.message == "datagram" }
        #expect(records.count == count)
        #expect(records.first?.metadata["client"] == "127.0.0.1:\(client.port)")
        #expect(records.first?.metadata["server"] == "127.0.0.1:\(port)")
        #expect(records.first?.metadata["reply"] == "sent")
        await socket.close()
    }

    /// Datagrams from two clients, interleaved, are each recorded with their own sender: the batch keeps the last
    /// sender's address for the datagrams that follow from it, and only for those.
    @Test func interleavedClientsAreEachRecordedAsThemselves() async throws {
        let logs = CapturedLogs()
        let echo = try Self.route(.echo)
        let socket = try await Self.serve(echo, logs: logs)
        let port = try #require(socket.localAddress?.port)
        let first = try Client()
        let second = try Client()
        // The first client's datagrams are one byte long, the second's two.
        for sender in [first, second, first, first, second, second, first, second] {
            try sender.send(sender === first ? [1] : [2, 2], to: port)
        }
        for _ in 0..<4 {
            #expect(first.receive() == [1])
            #expect(second.receive() == [2, 2])
        }
        let records = logs.all.filter { $0.message == "datagram" }
        #expect(records.count == 8)
        for record in records {
            let client = record.metadata["client"]
            let size = client == "127.0.0.1:\(first.port)" ? "1" : client == "127.0.0.1:\(second.port)" ? "2" : "?"
            #expect(record.metadata["bytes_in"] == size, "\(client ?? "no client")")
        }
        await socket.close()
    }

    /// wellknownd's own handler writes a socket's lines from its template, whose client field is copied within a run
    /// of one sender; runs are the loop's, across its sockets. Two clients and two sockets on one loop, in an order
    /// where a socket's next sender was last seen on the other socket, or on this one before the other's: every line
    /// names its own client, server and size.
    @Test func runsOfSendersAcrossSocketsAreLoggedAsThemselves() async throws {
        let (sink, logger, readEnd) = try pipedLogger()
        defer { close(readEnd) }
        let loop = DatagramLoop(name: "test-udp", logger: logger)
        var sockets: [BatchedDatagramSocket] = []
        for _ in 0..<2 {
            let socket = try BatchedDatagramSocket.bind(
                try SocketAddress(ipAddress: "127.0.0.1", port: 0),
                v6only: nil,
                packetInfo: false,
                route: try Self.route(.echo),
                loop: loop
            )
            try await socket.resume()
            sockets.append(socket)
        }
        let ports = try sockets.map { try #require($0.localAddress?.port) }
        let clients = [try Client(), try Client()]
        // (client, socket), each answered before the next is sent, so that every datagram is a burst of its own.
        let plan = [(0, 0), (1, 1), (0, 1), (0, 0), (1, 0), (1, 0), (0, 1), (1, 1), (0, 0), (0, 0)]
        var expected: [String] = []
        for (index, (client, socket)) in plan.enumerated() {
            let payload = [UInt8](repeating: 7, count: index + 1)
            try clients[client].send(payload, to: ports[socket])
            #expect(clients[client].receive() == payload)
            expected.append(
                "<6>level=info msg=datagram service=echo proto=udp client=127.0.0.1:\(clients[client].port) "
                    + "server=127.0.0.1:\(ports[socket]) bytes_in=\(index + 1) bytes_out=\(index + 1) reply=sent"
            )
        }
        let lines = pipedText(sink, readEnd).split(separator: "\n").map(String.init)
        #expect(lines == expected)
        for socket in sockets {
            await socket.close()
        }
    }

    /// Every size from empty to the largest IPv4 payload comes back byte for byte: the slots are as large as a
    /// datagram can be, and a reply is never cut or mixed with its neighbour's.
    @Test func echoReturnsDatagramsOfAnySizeByteForByte() async throws {
        let socket = try await Self.serve(try Self.route(.echo))
        let port = try #require(socket.localAddress?.port)
        let client = try Client()
        var random = SystemRandomNumberGenerator()
        let sizes = [0, 1, 511, 1472, 65507] + (0..<20).map { _ in Int.random(in: 0...65507, using: &random) }
        for size in sizes {
            let payload = (0..<size).map { _ in UInt8.random(in: 0...255, using: &random) }
            try client.send(payload, to: port)
            #expect(client.receive() == payload, "a \(size)-byte datagram")
        }
        await socket.close()
    }

    @Test func aRerouteServesTheNewServiceFromTheNextDatagram() async throws {
        let echo = try Self.route(.echo)
        let socket = try await Self.serve(echo)
        let port = try #require(socket.localAddress?.port)
        let client = try Client()
        try client.send(Array("ping".utf8), to: port)
        #expect(client.receive() == Array("ping".utf8))

        let whoami = try Self.route(.whoami)
        socket.reroute(whoami)
        try client.send(Array("ping".utf8), to: port)
        let reply = String(decoding: try #require(client.receive()), as: UTF8.self)
        #expect(reply == "proto=udp client=127.0.0.1:\(client.port) server=127.0.0.1:\(port)\r\n")
        #expect(echo.counters.accepted.load(ordering: .relaxed) == 1, "the second datagram went to the new route")
        #expect(whoami.counters.accepted.load(ordering: .relaxed) == 1)
        await socket.close()
    }

    /// On a wildcard socket the destination comes from the datagram's packet info, for the reply (whoami) and the
    /// record alike; a dual-stack socket reports IPv4 clients unmapped.
    @Test(arguments: ["0.0.0.0", "::"])
    func aWildcardSocketKnowsEachDatagramsDestination(host: String) async throws {
        let logs = CapturedLogs()
        let socket = try await Self.serve(
            try Self.route(.whoami),
            on: host,
            v6only: host == "::" ? 0 : nil,
            packetInfo: true,
            logs: logs
        )
        let port = try #require(socket.localAddress?.port)
        let client = try Client()
        try client.send([], to: port)
        let reply = String(decoding: try #require(client.receive()), as: UTF8.self)
        #expect(reply == "proto=udp client=127.0.0.1:\(client.port) server=127.0.0.1:\(port)\r\n")
        #expect(logs.all.first { $0.message == "datagram" }?.metadata["server"] == "127.0.0.1:\(port)")
        await socket.close()
    }

    @Test func theGuardDropsADatagramBeforeTheServiceSeesIt() async throws {
        let client = try Client()
        // The client's port counts as one of the daemon's own UDP ports: a loop the guard must break.
        let guardState = DatagramGuardState(settings: UDPGuardConfiguration(), ownPorts: [client.port])
        let logs = CapturedLogs()
        let echo = try Self.route(.echo, guard: guardState)
        let socket = try await Self.serve(echo, logs: logs)
        let port = try #require(socket.localAddress?.port)
        try client.send(Array("ping".utf8), to: port)
        #expect(client.receive() == nil)
        #expect(echo.counters.dropped.load(ordering: .relaxed) == 1)
        #expect(echo.counters.accepted.load(ordering: .relaxed) == 0)
        #expect(guardState.drops.take().map(\.reason) == [.ownPort])
        #expect(logs.all.filter { $0.message == "datagram" }.isEmpty, "a dropped datagram has no record")
        await socket.close()
    }

    @Test func closingLetsGoOfTheSocketAndItsPort() async throws {
        let socket = try await Self.serve(try Self.route(.echo))
        let address = try #require(socket.localAddress)
        await socket.close()
        // Nobody holds the port any more: a plain bind (no SO_REUSEPORT) gets it.
        #expect(throws: Never.self) { try ListenerFactory.probe(address, transport: .udp, v6only: nil) }
        await socket.close()  // a second close is harmless
    }
}
