import NIOConcurrencyHelpers
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

/// `ReplyOnAccept` on a real listening socket on loopback, in front of ServerBootstrap's own accept handler: the
/// one-shot services are answered without a channel initializer; the others reach it.
@Suite struct ReplyOnAcceptTests {
    struct Served {
        var replies: [[UInt8]]
        /// Connections that went on to the channel initializer (a pipeline of their own).
        var initialized: Int
        var counters: ServiceCounters
        var logs: CapturedLogs
        var gate: ConnectionGate
    }

    func serve(
        _ descriptor: ServiceDescriptor,
        connections: Int,
        limits: ConnectionLimits = ConnectionLimits(),
        access: AccessPolicy = .everyone,
        loops: Int = 1
    ) throws -> Served {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: loops)
        defer { try? group.syncShutdownGracefully() }
        let logs = CapturedLogs()
        let logger = logs.logger()
        let gate = ConnectionGate(limits: limits)
        let counters = ServiceCounters(service: descriptor.name, transport: .tcp)
        let instance = try descriptor.makeInstance(options: ServiceOptions(), environment: SystemEnvironment.live)
        let route = RouteBox(
            Route(
                service: descriptor.name,
                transport: .tcp,
                instance: instance,
                admission: EntryAdmission(key: descriptor.name, access: access),
                bounds: StreamBounds(),
                counters: counters,
                datagramGuard: nil
            )
        )
        let initialized = NIOLockedValueBox(0)
        // The listener on one loop, its connections spread over all of them, as for an inherited socket.
        let server = try ServerBootstrap(group: group.next(), childGroup: group)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandler(
                        ReplyOnAccept(route: route, gate: gate, records: RecordLog(logger))
                    )
                }
            }
            .childChannelInitializer { channel in
                initialized.withLockedValue { $0 += 1 }
                return channel.eventLoop.makeCompletedFuture {
                    try channel.pipeline.syncOperations.addHandlers(instance.makeStreamHandlers())
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? server.close().wait() }
        let port = try #require(server.localAddress?.port)
        var replies: [[UInt8]] = []
        for _ in 0..<connections {
            replies.append(try #require(try loopbackExchange(port: port)))
        }
        // The log line is written after the close the client saw.
        for loop in group.makeIterator() {
            try loop.submit {}.wait()
        }
        return Served(
            replies: replies,
            initialized: initialized.withLockedValue { $0 },
            counters: counters,
            logs: logs,
            gate: gate
        )
    }

    @Test(arguments: [(ServiceDescriptor.daytime, 26), (.time, 4)])
    func oneShotServicesAreAnsweredWithoutAChannelOfTheirOwn(descriptor: ServiceDescriptor, size: Int) throws {
        let served = try serve(descriptor, connections: 3)
        #expect(served.replies.map(\.count) == [size, size, size])
        #expect(served.initialized == 0, "no connection reached the channel initializer")
        #expect(served.counters.accepted.load(ordering: .relaxed) == 3)
        #expect(served.counters.bytesOut.load(ordering: .relaxed) == 3 * size)
        #expect(served.counters.open.load(ordering: .relaxed) == 0)
        #expect(served.gate.openConnections == 0, "each place at the gate is given back")
        let lines = served.logs.all.filter { $0.message == "connection" }
        #expect(lines.count == 3)
        let line = try #require(lines.first)
        #expect(line.metadata["service"] == descriptor.name)
        #expect(line.metadata["proto"] == "tcp")
        #expect(line.metadata["client"]?.hasPrefix("127.0.0.1:") == true)
        #expect(line.metadata["server"]?.hasPrefix("127.0.0.1:") == true)
        #expect(line.metadata["bytes_in"] == "0")
        #expect(line.metadata["bytes_out"] == "\(size)")
        #expect(line.metadata["end"] == "server")
    }

    @Test func connectionsOnAnotherLoopThanTheListenersAreAnsweredThere() throws {
        let served = try serve(.daytime, connections: 6, loops: 2)
        #expect(served.replies.map(\.count) == Array(repeating: 26, count: 6))
        #expect(served.initialized == 0)
        #expect(served.counters.accepted.load(ordering: .relaxed) == 6)
        #expect(served.gate.openConnections == 0)
        #expect(served.logs.all.filter { $0.message == "connection" }.count == 6)
    }

    @Test func otherServicesGoOnToTheChannelInitializer() throws {
        let served = try serve(.discard, connections: 1)
        #expect(served.initialized == 1)
        #expect(served.counters.accepted.load(ordering: .relaxed) == 0, "not counted by the fast path")
    }

    @Test func refusedConnectionsAreClosedBeforeAnyByteAndCounted() throws {
        let limits = ConnectionLimits(perSourceAcceptRate: 0.001, perSourceAcceptBurst: 2)
        let served = try serve(.daytime, connections: 4, limits: limits)
        #expect(served.replies.map(\.count) == [26, 26, 0, 0])
        #expect(served.initialized == 0)
        #expect(served.counters.accepted.load(ordering: .relaxed) == 2)
        #expect(served.counters.refused.load(ordering: .relaxed) == 2)
        #expect(served.gate.refusals.totalsByReason == "source-rate:2")
        #expect(served.gate.openConnections == 0)

        let denied = try serve(
            .time,
            connections: 1,
            access: AccessPolicy(deny: [try #require(CIDRBlock("127.0.0.0/8"))])
        )
        #expect(denied.replies == [[]])
        #expect(denied.counters.refused.load(ordering: .relaxed) == 1)
        #expect(denied.logs.all.filter { $0.message == "connection" }.isEmpty, "refusals are summarised, not logged")
    }
}
