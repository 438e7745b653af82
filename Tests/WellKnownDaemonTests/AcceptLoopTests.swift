import NIOCore
import NIOPosix
import Testing
import WellKnownConfig
import WellKnownServices

@testable import WellKnownDaemon
@testable import WellKnownLogging

#if canImport(Glibc)
import Glibc
#endif

/// The daemon's own accept loop on real listening sockets on loopback: one-shot services answered, refused, logged
/// and counted as `ReplyOnAccept` does it in NIO's pipeline, and a socket let go of when the loop is told to.
@Suite struct AcceptLoopTests {
    /// A listening socket of the kernel's choosing on `host`, closed when the test is done with it.
    final class Listening {
        let fd: Int32
        let port: Int
        let address: SocketAddress

        init(host: String = "127.0.0.1") throws {
            let bind = try SocketAddress(ipAddress: host, port: 0)
            let fd = socket(Int32(bind.protocol.rawValue), Int32(SOCK_STREAM.rawValue), 0)
            try #require(fd >= 0)
            let bound = bind.withSockAddr { Glibc.bind(fd, $0, socklen_t($1)) }
            try #require(bound == 0)
            try #require(listen(fd, 64) == 0)
            let flags = fcntl(fd, F_GETFL)
            _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
            self.fd = fd
            self.address = try #require(SocketAddress.local(of: fd))
            self.port = try #require(self.address.port)
        }

        deinit { close(self.fd) }
    }

    struct Served {
        let loop: AcceptLoop
        let listener: OneShotListener
        let counters: ServiceCounters
        let logs: CapturedLogs
        let gate: ConnectionGate
    }

    static func route(_ descriptor: ServiceDescriptor, counters: ServiceCounters, access: AccessPolicy) throws -> Route
    {
        Route(
            service: descriptor.name,
            transport: .tcp,
            instance: try descriptor.makeInstance(options: ServiceOptions(), environment: SystemEnvironment.live),
            admission: EntryAdmission(key: descriptor.name, access: access),
            bounds: StreamBounds(),
            counters: counters,
            datagramGuard: nil
        )
    }

    static func serve(
        _ descriptor: ServiceDescriptor,
        on listening: Listening,
        limits: ConnectionLimits = ConnectionLimits(),
        access: AccessPolicy = .everyone
    ) async throws -> Served {
        let logs = CapturedLogs()
        let gate = ConnectionGate(limits: limits)
        let counters = ServiceCounters(service: descriptor.name, transport: .tcp)
        let listener = OneShotListener(
            fd: listening.fd,
            route: RouteBox(try Self.route(descriptor, counters: counters, access: access)),
            gate: gate,
            records: RecordLog(logs.logger()),
            bound: listening.address
        )
        let loop = AcceptLoop(name: "test-accept", logger: logs.logger())
        try await loop.add(listener)
        return Served(loop: loop, listener: listener, counters: counters, logs: logs, gate: gate)
    }

    /// The record is logged right after the close the client saw: wait for it.
    static func records(_ logs: CapturedLogs, count: Int) async throws -> [CapturedLogs.Record] {
        for _ in 0..<200 {
            let records = logs.all.filter { $0.message == "connection" }
            if records.count >= count { return records }
            try await Task.sleep(for: .milliseconds(10))
        }
        return logs.all.filter { $0.message == "connection" }
    }

    @Test(arguments: [(ServiceDescriptor.daytime, 26), (.time, 4)])
    func oneShotServicesAreAnsweredLoggedAndCounted(descriptor: ServiceDescriptor, size: Int) async throws {
        let listening = try Listening()
        let served = try await Self.serve(descriptor, on: listening)
        for _ in 0..<3 {
            #expect(try loopbackExchange(port: listening.port)?.count == size)
        }
        let records = try await Self.records(served.logs, count: 3)
        #expect(records.count == 3)
        #expect(served.counters.accepted.load(ordering: .relaxed) == 3)
        #expect(served.counters.bytesOut.load(ordering: .relaxed) == 3 * size)
        #expect(served.counters.open.load(ordering: .relaxed) == 0)
        #expect(served.gate.openConnections == 0, "each place at the gate is given back")
        let record = try #require(records.first)
        #expect(record.metadata["service"] == descriptor.name)
        #expect(record.metadata["client"]?.hasPrefix("127.0.0.1:") == true)
        #expect(record.metadata["server"] == "127.0.0.1:\(listening.port)")
        #expect(record.metadata["bytes_in"] == "0")
        #expect(record.metadata["bytes_out"] == "\(size)")
        #expect(record.metadata["end"] == "server")
        await served.loop.remove(listening.fd)
    }

    /// On a wildcard socket the bound address says nothing of where the client came in: each accepted socket says.
    @Test func aWildcardListenersRecordsNameTheAddressTheClientReached() async throws {
        let listening = try Listening(host: "0.0.0.0")
        let served = try await Self.serve(.daytime, on: listening)
        #expect(try loopbackExchange(port: listening.port)?.count == 26)
        let record = try #require(try await Self.records(served.logs, count: 1).first)
        #expect(record.metadata["server"] == "127.0.0.1:\(listening.port)")
        await served.loop.remove(listening.fd)
    }

    /// With wellknownd's own handler the loop formats each record itself and hands the lines of a wake-up to the
    /// sink before it waits again: every connection's line arrives whole, in the default text format, without
    /// waiting for a later connection to push it out.
    @Test func throughWellknowndsOwnHandlerEachConnectionsLineReachesTheSinkAfterItsWakeUp() async throws {
        let (sink, logger, readEnd) = try pipedLogger()
        defer { close(readEnd) }
        let listening = try Listening()
        let counters = ServiceCounters(service: "daytime", transport: .tcp)
        let listener = OneShotListener(
            fd: listening.fd,
            route: RouteBox(try Self.route(.daytime, counters: counters, access: .everyone)),
            gate: ConnectionGate(limits: ConnectionLimits()),
            records: RecordLog(logger),
            bound: listening.address
        )
        let loop = AcceptLoop(name: "test-accept", logger: logger)
        try await loop.add(listener)
        var text = ""
        for connection in 1...3 {
            #expect(try loopbackExchange(port: listening.port)?.count == 26)
            for _ in 0..<200 where text.split(separator: "\n").count < connection {
                text += pipedText(sink, readEnd)
                try await Task.sleep(for: .milliseconds(10))
            }
            #expect(text.split(separator: "\n").count == connection, "connection \(connection)'s line, alone")
        }
        let lines = text.split(separator: "\n")
        #expect(text.hasSuffix("\n"))
        for line in lines {
            #expect(line.hasPrefix("<6>level=info msg=connection service=daytime proto=tcp client=127.0.0.1:"))
            #expect(line.contains(" server=127.0.0.1:\(listening.port) duration="))
            #expect(line.hasSuffix(" bytes_in=0 bytes_out=26 end=server"))
        }
        #expect(Set(lines.map { $0.split(separator: " ")[4] }).count == 3, "three clients")
        await loop.remove(listening.fd)
    }

    @Test func refusedConnectionsAreClosedBeforeAnyByteAndCounted() async throws {
        let listening = try Listening()
        let limits = ConnectionLimits(perSourceAcceptRate: 0.001, perSourceAcceptBurst: 2)
        let served = try await Self.serve(.daytime, on: listening, limits: limits)
        var sizes: [Int?] = []
        for _ in 0..<4 {
            sizes.append(try loopbackExchange(port: listening.port)?.count)
        }
        #expect(sizes == [26, 26, 0, 0])
        #expect(served.counters.accepted.load(ordering: .relaxed) == 2)
        #expect(served.counters.refused.load(ordering: .relaxed) == 2)
        #expect(served.gate.refusals.totalsByReason == "source-rate:2")
        #expect(served.gate.openConnections == 0)
        await served.loop.remove(listening.fd)

        let denied = try Listening()
        let deniedServed = try await Self.serve(
            .time,
            on: denied,
            access: AccessPolicy(deny: [try #require(CIDRBlock("127.0.0.0/8"))])
        )
        #expect(try loopbackExchange(port: denied.port) == [])
        #expect(deniedServed.counters.refused.load(ordering: .relaxed) == 1)
        #expect(deniedServed.logs.all.filter { $0.message == "connection" }.isEmpty, "refusals are summarised")
        await deniedServed.loop.remove(denied.fd)
    }

    /// Once `remove` returns the loop never accepts on the socket again: a connection made after it waits in the
    /// backlog for whoever accepts next (NIO, or nobody before the socket is closed).
    @Test func aRemovedSocketIsNoLongerAccepted() async throws {
        let listening = try Listening()
        let served = try await Self.serve(.daytime, on: listening)
        #expect(try loopbackExchange(port: listening.port)?.count == 26)
        await served.loop.remove(listening.fd)
        #expect(try loopbackExchange(port: listening.port, timeout: 1) == nil, "no answer: nobody accepted")
        let waiting = accept(listening.fd, nil, nil)
        #expect(waiting >= 0, "the connection was left in the backlog")
        close(waiting)
        #expect(served.counters.accepted.load(ordering: .relaxed) == 1)
    }

    /// A route that is no longer a one-shot service is not served by the loop, even before the socket is taken back.
    @Test func aRouteThatStoppedBeingOneShotIsLeftToNIO() async throws {
        let listening = try Listening()
        let served = try await Self.serve(.daytime, on: listening)
        #expect(try loopbackExchange(port: listening.port)?.count == 26)
        served.listener.route.withLockedValue {
            $0 = (try? Self.route(.echo, counters: served.counters, access: .everyone)) ?? $0
        }
        served.listener.reroutes.advance()
        #expect(served.listener.route.withLockedValue { $0.service } == "echo")
        #expect(try loopbackExchange(port: listening.port, timeout: 1) == nil)
        await served.loop.remove(listening.fd)
        #expect(served.counters.accepted.load(ordering: .relaxed) == 1)
    }

    /// A listener made by `ListenerFactory` hands its sockets to the accept loops while its service is a one-shot
    /// one and gives them back to NIO when a reroute makes it another: each of its two sockets (one per event loop)
    /// serves daytime, then echo, then daytime again.
    @Test func aRerouteMovesTheSocketsBetweenTheAcceptLoopsAndNIO() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let logs = CapturedLogs()
        let factory = ListenerFactory(
            group: group,
            registry: ConnectionRegistry(),
            logger: logs.logger(),
            connectionGate: ConnectionGate(limits: ConnectionLimits()),
            datagramLoops: DatagramLoops(count: 2, logger: logs.logger()),
            acceptLoops: AcceptLoops(count: 2, logger: logs.logger())
        )
        let counters = ServiceCounters(service: "daytime", transport: .tcp)
        let listener = Listener(
            service: "daytime",
            transport: .tcp,
            address: .ip(try #require(BindAddress("127.0.0.1")), port: 0),
            entryIndex: 0
        )
        let running = try await factory.bind(
            listener,
            route: try Self.route(.daytime, counters: counters, access: .everyone)
        )
        #expect(running.oneShot.count == 2, "one socket per event loop, each with its accept loop")
        #expect(!running.acceptLoopsServe, "opened paused")
        try await running.resume()
        #expect(running.acceptLoopsServe)
        let port = try #require(running.boundPort)
        // Several connections, so that both sockets (the kernel spreads connections over them) are exercised.
        let payload: [UInt8] = Array("ping".utf8)
        for _ in 0..<8 {
            #expect(try loopbackExchange(port: port)?.count == 26)
        }
        try await running.reroute(try Self.route(.echo, counters: counters, access: .everyone))
        #expect(!running.acceptLoopsServe)
        for _ in 0..<8 {
            #expect(try loopbackExchange(payload, port: port) == payload, "NIO accepts again, for echo")
        }
        try await running.reroute(try Self.route(.daytime, counters: counters, access: .everyone))
        #expect(running.acceptLoopsServe)
        for _ in 0..<8 {
            #expect(try loopbackExchange(port: port)?.count == 26)
        }
        await running.close()
        #expect(!running.acceptLoopsServe, "the loops let go before the sockets close")
        try await group.shutdownGracefully()
    }
}
