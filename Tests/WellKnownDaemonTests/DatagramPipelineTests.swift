import NIOCore
import NIOEmbedded
import NIOPosix
import Testing
import WellKnownConfig
import WellKnownServices

@testable import WellKnownDaemon

#if canImport(Glibc)
import Glibc
#endif

@Suite struct DatagramPipelineTests {
    static func route(_ service: ServiceDescriptor, options: [String: String] = [:]) throws -> Route {
        Route(
            service: service.name,
            transport: .udp,
            instance: try service.makeInstance(
                options: ServiceOptions(text: options),
                environment: SystemEnvironment.live
            ),
            admission: EntryAdmission(key: service.name),
            bounds: StreamBounds(),
            counters: ServiceCounters(service: service.name, transport: .udp),
            datagramGuard: DatagramGuardState(settings: UDPGuardConfiguration(), ownPorts: [])
        )
    }

    /// One datagram in from a well-behaved source; the reply out, if any.
    static func exchange(_ channel: EmbeddedChannel, _ payload: String) throws -> String? {
        let source = try SocketAddress(ipAddress: "198.51.100.7", port: 40000)
        try channel.writeInbound(AddressedEnvelope(remoteAddress: source, data: ByteBuffer(string: payload)))
        channel.pipeline.fireChannelReadComplete()
        return try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self).map { String(buffer: $0.data) }
    }

    @Test func aSwapServesTheNewRouteAndLeavesNoOldHandlerBehind() throws {
        let channel = EmbeddedChannel()
        let echo = try Self.route(.echo)
        let pipeline = channel.pipeline.syncOperations
        try DatagramPipeline.install(echo, on: pipeline, logger: CapturedLogs().logger())
        #expect(try Self.exchange(channel, "ping") == "ping")

        try DatagramPipeline.swap(
            to: try Self.route(.discard),
            on: pipeline,
            logger: CapturedLogs().logger(),
            generation: 1,
            replacing: 0
        )
        #expect(try Self.exchange(channel, "ping") == nil, "discard answers nothing")
        #expect(DatagramPipeline.names(generation: 0, in: pipeline).isEmpty)
        #expect(DatagramPipeline.names(generation: 1, in: pipeline).count == 2, "the gate and the service")
        #expect(echo.counters.accepted.load(ordering: .relaxed) == 1, "the second datagram went to the new route")
    }

    /// A UDP exchange with a real socket on loopback: the reply, or nil after a short wait.
    static func ask(port: Int, _ payload: String) -> String? {
        let fd = socket(AF_INET, Int32(SOCK_DGRAM.rawValue), 0)
        defer { close(fd) }
        var timeout = timeval(tv_sec: 0, tv_usec: 300_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        let bytes = Array(payload.utf8)
        _ = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                sendto(fd, bytes, bytes.count, 0, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        var reply = [UInt8](repeating: 0, count: 512)
        let count = recv(fd, &reply, reply.count, 0)
        return count >= 0 ? String(decoding: reply.prefix(count), as: UTF8.self) : nil
    }

    /// One listener, two sockets; the second one dies, so the reroute cannot reach it: the first must go back to
    /// the old route, and the listener must still say it serves the old one.
    @Test func aRerouteThatFailsOnOneSocketPutsTheOthersBack() async throws {
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 2)
        let echo = try Self.route(.echo)
        let box = RouteBox(echo)
        var channels: [any Channel] = []
        for loop in group.makeIterator() {
            channels.append(
                try await DatagramBootstrap(group: loop)
                    .channelInitializer { channel in
                        channel.eventLoop.makeCompletedFuture {
                            try DatagramPipeline.install(
                                echo,
                                on: channel.pipeline.syncOperations,
                                logger: CapturedLogs().logger()
                            )
                        }
                    }
                    .bind(host: "127.0.0.1", port: 0).get()
            )
        }
        let listener = RunningListener(
            key: .inherited(fd: -1),
            label: "echo/udp test",
            channels: channels,
            route: box,
            logger: CapturedLogs().logger()
        )
        let port = try #require(channels[0].localAddress?.port)
        #expect(Self.ask(port: port, "one") == "one")
        try await channels[1].close()

        await #expect(throws: (any Error).self) { try await listener.reroute(try Self.route(.discard)) }
        #expect(listener.current.service == "echo")
        #expect(Self.ask(port: port, "two") == "two", "the first socket was put back on echo")
        await listener.close()
        try await group.shutdownGracefully()
    }
}
