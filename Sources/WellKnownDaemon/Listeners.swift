import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import WellKnownConfig
import WellKnownServices

/// A socket the daemon could not open, with the listener it was for.
public struct BindError: Error, CustomStringConvertible {
    public let listener: Listener
    public let cause: any Error

    public var description: String {
        let reason: String
        if let io = cause as? IOError {
            reason = "\(String(cString: strerror(io.errnoCode))) (errno \(io.errnoCode))"
        } else {
            reason = "\(cause)"
        }
        return "cannot listen on \(listener.transport.rawValue) \(listener.address) "
            + "for \(listener.service): \(reason)"
    }
}

/// Where a listening socket is, across reloads: the address the daemon bound, or the descriptor systemd passed.
/// A reload keeps every socket whose key it still wants.
enum ListenerKey: Hashable, Sendable {
    case bound(Transport, ListenAddress)
    case inherited(fd: CInt)
}

/// What a listening socket serves. A reload can change it while the socket stays open: TCP looks it up for every
/// connection it accepts; a UDP socket gets a fresh pipeline.
struct Route: Sendable {
    var service: String
    var transport: Transport
    var instance: ServiceInstance
    var admission: EntryAdmission
    var bounds: StreamBounds
    var counters: ServiceCounters
    /// nil for AF_UNIX datagram sockets: local peers, no reflection to guard against.
    var datagramGuard: DatagramGuardState?
}

typealias RouteBox = NIOLockedValueBox<Route>

/// An open listening socket and what it serves.
final class RunningListener: Sendable {
    let key: ListenerKey
    /// `daytime/tcp 127.0.0.1:6013`, or for an inherited socket `daytime/tcp 127.0.0.1:6013 (fd 3)`.
    let label: String
    /// One socket per event loop for an IP address the daemon binds (SO_REUSEPORT: the kernel spreads connections
    /// and datagrams over them, and a connection stays on the loop that accepted it); one for an inherited socket
    /// or an AF_UNIX path.
    let channels: [any Channel]
    private let route: RouteBox
    private let logger: Logger

    init(key: ListenerKey, label: String, channels: [any Channel], route: RouteBox, logger: Logger) {
        self.key = key
        self.label = label
        self.channels = channels
        self.route = route
        self.logger = logger
    }

    func close() async {
        for channel in self.channels {
            try? await channel.close()
        }
    }

    var current: Route { self.route.withLockedValue { $0 } }

    /// Starts accepting (TCP) or reading (UDP): listeners are opened paused.
    func resume() async throws {
        for channel in self.channels {
            try await channel.setOption(.autoRead, value: true).get()
        }
    }

    /// Serves `route` from now on. Open TCP connections keep the handlers they started with; a UDP socket swaps its
    /// pipeline between two datagrams.
    func reroute(_ route: Route) async throws {
        self.route.withLockedValue { $0 = route }
        guard route.transport == .udp else { return }
        let logger = self.logger
        for channel in self.channels {
            try await channel.eventLoop.submit {
                let pipeline = channel.pipeline.syncOperations
                for name in DatagramPipeline.names(in: pipeline) {
                    _ = pipeline.removeHandler(name: name)
                }
                try DatagramPipeline.install(route, on: pipeline, logger: logger)
            }.get()
        }
    }
}

/// First on every TCP listener: when accept(2) fails for want of resources (EMFILE, ENFILE: out of descriptors;
/// ENOBUFS, ENOMEM) it stops accepting for `backoff`, then tries again. Waiting connections stay in the kernel's
/// backlog meanwhile, and are served once descriptors are free again.
///
/// NIO's own `AcceptBackoffHandler` (which ServerBootstrap installs) cannot do this in NIO 2.101: a failed accept
/// leaves the channel's `readPending` set, so the listener stays registered for readability and the level-triggered
/// epoll loop calls accept4 again at once, thousands of times a second (measured: 8,551 failed accept4 calls in
/// 2 s, a whole core). Turning `autoRead` off unregisters the socket from epoll; turning it on again re-registers it.
///
/// The failures are logged at most once per `reportPeriod` per listener, with their count.
final class AcceptBackoff: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    static let backoff: TimeAmount = .milliseconds(250)
    static let reportPeriod: TimeAmount = .seconds(10)

    private let route: RouteBox
    private let logger: Logger
    private var failures = 0
    private var lastReport: NIODeadline?
    private var retry: Scheduled<Void>?

    init(route: RouteBox, logger: Logger) {
        self.route = route
        self.logger = logger
    }

    static let shortages: Set<Int32> = [EMFILE, ENFILE, ENOBUFS, ENOMEM]

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let io = error as? IOError, Self.shortages.contains(io.errnoCode) else {
            context.fireErrorCaught(error)
            return
        }
        self.failures += 1
        self.report(io, context: context)
        guard self.retry == nil, let options = context.channel.syncOptions else { return }
        try? options.setOption(.autoRead, value: false)
        let channel = context.channel
        self.retry = context.eventLoop.assumeIsolated().scheduleTask(in: Self.backoff) {
            self.retry = nil
            try? channel.syncOptions?.setOption(.autoRead, value: true)
        }
    }

    private func report(_ io: IOError, context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        guard self.lastReport.map({ now - $0 >= Self.reportPeriod }) ?? true else { return }
        let service = self.route.withLockedValue { $0.service }
        self.logger.warning(
            "accept failed: retrying every 0.25 s, waiting connections stay queued",
            metadata: [
                "service": "\(service)",
                "server": "\(context.channel.localAddress?.logDescription ?? "?")",
                "error": "\(String(cString: strerror(io.errnoCode))) (errno \(io.errnoCode))",
                "failures": .stringConvertible(self.failures),
            ]
        )
        self.lastReport = now
        self.failures = 0
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.retry?.cancel()
        self.retry = nil
        context.fireChannelInactive()
    }
}

/// The handlers of a UDP socket, named so that a reload can take them out again: the guard, the recorder, the
/// reply size cap, then the service.
enum DatagramPipeline {
    private static let prefix = "wellknownd."

    static func install(_ route: Route, on pipeline: ChannelPipeline.SynchronousOperations, logger: Logger) throws {
        if let guardState = route.datagramGuard {
            try pipeline.addHandler(
                DatagramGuardHandler(state: guardState, counters: route.counters, access: route.admission.access),
                name: Self.prefix + "guard"
            )
        }
        try pipeline.addHandler(
            DatagramRecorder(counters: route.counters, logger: logger),
            name: Self.prefix + "recorder"
        )
        if let guardState = route.datagramGuard {
            try pipeline.addHandler(ReplySizeCap(state: guardState), name: Self.prefix + "cap")
        }
        for (index, handler) in route.instance.makeDatagramHandlers().enumerated() {
            try pipeline.addHandler(handler, name: Self.prefix + "service.\(index)")
        }
    }

    /// The names of the handlers `install` added that are in `pipeline` now.
    static func names(in pipeline: ChannelPipeline.SynchronousOperations) -> [String] {
        var names = ["guard", "recorder", "cap"].map { Self.prefix + $0 }
        var index = 0
        while (try? pipeline.context(name: Self.prefix + "service.\(index)")) != nil {
            names.append(Self.prefix + "service.\(index)")
            index += 1
        }
        return names.filter { (try? pipeline.context(name: $0)) != nil }
    }
}

/// Opens listening sockets and wires each to the route it serves.
struct ListenerFactory {
    let group: any EventLoopGroup
    let registry: ConnectionRegistry
    let logger: Logger
    let connectionGate: ConnectionGate

    /// Largest UDP payload: 65507 bytes over IPv4, 65527 over IPv6. NIO's default 2048-byte datagram buffer
    /// would silently truncate echo replies, as xinetd does.
    static let datagramBufferSize = 65536
    static let datagramsPerRead = 8

    static let ipv6Only = ChannelOptions.socket(SocketOptionLevel(IPPROTO_IPV6), SocketOptionName(IPV6_V6ONLY))
    static let reusePort = ChannelOptions.socket(SocketOptionLevel(SOL_SOCKET), SocketOptionName(SO_REUSEPORT))

    func bind(_ listener: Listener, route: Route) async throws(BindError) -> RunningListener {
        let box = RouteBox(route)
        var channels: [any Channel] = []
        do {
            switch listener.address {
            case .unix(let path):
                // A socket file left by an earlier run is replaced; anything else at the path is an error.
                switch listener.transport {
                case .tcp:
                    channels.append(
                        try await self.streamBootstrap(box, on: self.group)
                            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
                    )
                case .udp:
                    channels.append(
                        try await self.datagramBootstrap(box, on: self.group, packetInfo: false)
                            .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
                    )
                }
            case .ip(let bindAddress, let port):
                let address = try SocketAddress(ipAddress: bindAddress.text, port: port)
                // "::" serves IPv4 too whatever net.ipv6.bindv6only says; a specific IPv6 address only itself.
                let v6only: SocketOptionValue? = bindAddress.family == .ipv6 ? (bindAddress.isWildcard ? 0 : 1) : nil
                // SO_REUSEPORT would let a second daemon (of the same user) share the port without a word: a plain
                // bind first proves that nobody holds it.
                try Self.probe(address, transport: listener.transport, v6only: v6only)
                for loop in self.group.makeIterator() {
                    switch listener.transport {
                    case .tcp:
                        var bootstrap = self.streamBootstrap(box, on: loop)
                            .serverChannelOption(Self.reusePort, value: 1)
                        if let v6only {
                            bootstrap = bootstrap.serverChannelOption(Self.ipv6Only, value: v6only)
                        }
                        channels.append(try await bootstrap.bind(to: address).get())
                    case .udp:
                        // Only a wildcard socket needs each datagram's destination (IP_PKTINFO); on a specific
                        // address it is that address, and the control messages would cost every datagram.
                        var bootstrap = self.datagramBootstrap(box, on: loop, packetInfo: bindAddress.isWildcard)
                            .channelOption(Self.reusePort, value: 1)
                        if let v6only {
                            bootstrap = bootstrap.channelOption(Self.ipv6Only, value: v6only)
                        }
                        channels.append(try await bootstrap.bind(to: address).get())
                    }
                }
            }
        } catch {
            for channel in channels {
                try? await channel.close()
            }
            throw BindError(listener: listener, cause: error)
        }
        return RunningListener(
            key: .bound(listener.transport, listener.address),
            label: listener.description,
            channels: channels,
            route: box,
            logger: self.logger
        )
    }

    /// Binds `address` once without SO_REUSEPORT (and, for UDP, without SO_REUSEADDR), then closes it: fails with
    /// EADDRINUSE if any socket holds the address.
    static func probe(_ address: SocketAddress, transport: Transport, v6only: SocketOptionValue?) throws {
        let type = transport == .tcp ? Int32(SOCK_STREAM.rawValue) : Int32(SOCK_DGRAM.rawValue)
        let fd = socket(Int32(address.protocol.rawValue), type | Int32(SOCK_CLOEXEC.rawValue), 0)
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        defer { Glibc.close(fd) }
        var one: Int32 = 1
        if transport == .tcp {
            // A listener's old connections in TIME_WAIT must not count as "in use".
            setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        }
        if var v6only {
            setsockopt(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, &v6only, socklen_t(MemoryLayout<Int32>.size))
        }
        let result = address.withSockAddr { Glibc.bind(fd, $0, socklen_t($1)) }
        guard result == 0 else { throw IOError(errnoCode: errno, reason: "bind") }
    }

    /// Serves a socket systemd passed us. NIO takes the descriptor over.
    func adopt(_ socket: InheritedSocket, route: Route) async throws(ActivationError) -> RunningListener {
        let box = RouteBox(route)
        let channel: any Channel
        do {
            switch route.transport {
            case .tcp:
                channel = try await self.streamBootstrap(box, on: self.group).withBoundSocket(socket.fd).get()
                // Adopting a listener calls listen(fd, 128); give it back the backlog systemd chose (Backlog=,
                // SOMAXCONN by default), which the kernel caps at net.core.somaxconn.
                _ = listen(socket.fd, socket.backlog ?? SOMAXCONN)
            case .udp:
                let wildcard = socket.localAddress?.ipBytes?.allSatisfy { $0 == 0 } ?? false
                channel = try await self.datagramBootstrap(
                    box,
                    on: self.group,
                    packetInfo: socket.kind == .udp && wildcard
                )
                .withBoundSocket(socket.fd).get()
            }
        } catch {
            throw ActivationError("\(socket) could not be served: \(error)")
        }
        let address = socket.localAddress?.logDescription ?? "?"
        return RunningListener(
            key: .inherited(fd: socket.fd),
            label: "\(route.service)/\(route.transport.rawValue) \(address) (fd \(socket.fd))",
            channels: [channel],
            route: box,
            logger: self.logger
        )
    }

    /// `group`: one event loop for a per-loop socket, whose connections then stay on that loop.
    private func streamBootstrap(_ box: RouteBox, on group: any EventLoopGroup) -> ServerBootstrap {
        let registry = self.registry
        let logger = self.logger
        let records = RecordLog(logger)
        let gate = self.connectionGate
        return ServerBootstrap(group: group)
            // Opened paused: nothing is accepted until privileges are dropped and `resume()` is called.
            .serverChannelOption(.autoRead, value: false)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .serverChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(AcceptBackoff(route: box, logger: logger))
                    try pipeline.addHandler(ReplyOnAccept(route: box, gate: gate, logger: logger))
                }
            }
            // Each service decides what a half-close means: echo answers what is left, discard closes, chargen
            // carries on streaming.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    // The route in force when the connection arrived serves it to the end, whatever reloads follow.
                    let route = box.withLockedValue { $0 }
                    let pipeline = channel.pipeline.syncOperations
                    let client = channel.remoteAddress
                    guard route.admit(client: client, server: channel.localAddress, gate: gate) else {
                        // Closed at once, before any byte is sent.
                        try pipeline.addHandler(RefusedConnectionHandler())
                        return
                    }
                    channel.closeFuture.whenComplete { _ in gate.release(route.admission, source: client) }
                    registry.add(channel)
                    try pipeline.addHandler(
                        ConnectionRecorder(counters: route.counters, records: records, bounds: route.bounds)
                    )
                    try pipeline.addHandlers(route.instance.makeStreamHandlers())
                }
            }
    }

    /// `packetInfo`: learn each datagram's destination address (wildcard IP sockets; AF_UNIX has no such thing).
    private func datagramBootstrap(_ box: RouteBox, on group: any EventLoopGroup, packetInfo: Bool)
        -> DatagramBootstrap
    {
        let logger = self.logger
        var bootstrap = DatagramBootstrap(group: group)
            // Opened paused: nothing is read until privileges are dropped and `resume()` is called.
            .channelOption(.autoRead, value: false)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            // recvmmsg: up to `datagramsPerRead` datagrams per system call; NIO cuts the buffer into that many equal
            // slices, so each slice must hold the largest datagram.
            .channelOption(
                .recvAllocator,
                value: FixedSizeRecvByteBufferAllocator(capacity: Self.datagramBufferSize * Self.datagramsPerRead)
            )
            .channelOption(.datagramVectorReadMessageCount, value: Self.datagramsPerRead)
        if packetInfo {
            // Only set where it applies: NIO sets the IP option even for `false`, which AF_UNIX refuses.
            bootstrap = bootstrap.channelOption(.receivePacketInfo, value: true)
        }
        return
            bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    try DatagramPipeline.install(
                        box.withLockedValue { $0 },
                        on: channel.pipeline.syncOperations,
                        logger: logger
                    )
                }
            }
    }
}
