import Logging
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

/// Opens the sockets of listeners and wires each into its service.
struct ListenerFactory {
    let group: any EventLoopGroup
    let registry: ConnectionRegistry
    let counters: CounterTable
    let logger: Logger
    let datagramGuard: DatagramGuardState
    let connectionGate: ConnectionGate
    let configuration: Configuration

    /// Largest UDP payload: 65507 bytes over IPv4, 65527 over IPv6. NIO's default 2048-byte datagram buffer
    /// would silently truncate echo replies, as xinetd does.
    static let datagramBufferSize = 65536

    static let ipv6Only = ChannelOptions.socket(SocketOptionLevel(IPPROTO_IPV6), SocketOptionName(IPV6_V6ONLY))

    func bind(_ listener: Listener, instance: ServiceInstance) async throws(BindError) -> any Channel {
        do {
            switch listener.address {
            case .unix(let path):
                // A socket file left by an earlier run is replaced; anything else at the path is an error.
                switch listener.transport {
                case .tcp:
                    return try await self.streamBootstrap(
                        service: listener.service,
                        entry: listener.entryIndex,
                        instance: instance
                    )
                    .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
                case .udp:
                    return try await self.datagramBootstrap(
                        service: listener.service,
                        entry: listener.entryIndex,
                        instance: instance,
                        packetInfo: false
                    )
                    .bind(unixDomainSocketPath: path, cleanupExistingSocketFile: true).get()
                }
            case .ip(let bindAddress, let port):
                let address = try SocketAddress(ipAddress: bindAddress.text, port: port)
                // "::" serves IPv4 too whatever net.ipv6.bindv6only says; a specific IPv6 address only itself.
                let v6only: SocketOptionValue? = bindAddress.family == .ipv6 ? (bindAddress.isWildcard ? 0 : 1) : nil
                switch listener.transport {
                case .tcp:
                    var bootstrap = self.streamBootstrap(
                        service: listener.service,
                        entry: listener.entryIndex,
                        instance: instance
                    )
                    if let v6only {
                        bootstrap = bootstrap.serverChannelOption(Self.ipv6Only, value: v6only)
                    }
                    return try await bootstrap.bind(to: address).get()
                case .udp:
                    var bootstrap = self.datagramBootstrap(
                        service: listener.service,
                        entry: listener.entryIndex,
                        instance: instance
                    )
                    if let v6only {
                        bootstrap = bootstrap.channelOption(Self.ipv6Only, value: v6only)
                    }
                    return try await bootstrap.bind(to: address).get()
                }
            }
        } catch {
            throw BindError(listener: listener, cause: error)
        }
    }

    /// Serves a socket systemd passed us. NIO takes the descriptor over.
    func adopt(_ adoption: ActivationPlan.Adoption, instance: ServiceInstance) async throws(ActivationError)
        -> any Channel
    {
        let socket = adoption.socket
        do {
            switch adoption.transport {
            case .tcp:
                let bootstrap = self.streamBootstrap(
                    service: adoption.service,
                    entry: adoption.entryIndex,
                    instance: instance
                )
                let channel = try await bootstrap.withBoundSocket(socket.fd).get()
                // Adopting a listener calls listen(fd, 128); give it back the backlog systemd chose (Backlog=,
                // SOMAXCONN by default), which the kernel caps at net.core.somaxconn.
                _ = listen(socket.fd, socket.backlog ?? SOMAXCONN)
                return channel
            case .udp:
                let bootstrap = self.datagramBootstrap(
                    service: adoption.service,
                    entry: adoption.entryIndex,
                    instance: instance,
                    packetInfo: socket.kind == .udp
                )
                return try await bootstrap.withBoundSocket(socket.fd).get()
            }
        } catch {
            throw ActivationError("\(socket) could not be served: \(error)")
        }
    }

    private func streamBootstrap(service: String, entry: Int, instance: ServiceInstance) -> ServerBootstrap {
        let counters = self.counters.counters(service: service, transport: .tcp)
        let registry = self.registry
        let logger = self.logger
        let gate = self.connectionGate
        let bounds = self.configuration.services.first { $0.index == entry }?.bounds ?? StreamBounds()
        return ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Each service decides what a half-close means: echo answers what is left, discard closes, chargen
            // carries on streaming.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    let client = channel.remoteAddress
                    if let refusal = gate.admit(entry: entry, source: client) {
                        // Closed at once, before any byte is sent; summarised, not logged one by one.
                        counters.refused.add(1, ordering: .relaxed)
                        gate.refusals.record(refusal) {
                            "\(service) \(client?.logDescription ?? "?") -> \(channel.localAddress?.logDescription ?? "?")"
                        }
                        try pipeline.addHandler(RefusedConnectionHandler())
                        return
                    }
                    channel.closeFuture.whenComplete { _ in gate.release(entry: entry, source: client) }
                    registry.add(channel)
                    try pipeline.addHandler(ConnectionRecorder(counters: counters, logger: logger, bounds: bounds))
                    try pipeline.addHandlers(instance.makeStreamHandlers())
                }
            }
    }

    /// `packetInfo`: learn each datagram's destination address (IP sockets; AF_UNIX has no such thing).
    private func datagramBootstrap(
        service: String,
        entry: Int,
        instance: ServiceInstance,
        packetInfo: Bool = true
    ) -> DatagramBootstrap {
        let counters = self.counters.counters(service: service, transport: .udp)
        let logger = self.logger
        // AF_UNIX datagrams are local: no reflection to guard against, and no ports to judge.
        let guardState: DatagramGuardState? = packetInfo ? self.datagramGuard : nil
        let access = self.configuration.services.first { $0.index == entry }?.access ?? .everyone
        var bootstrap = DatagramBootstrap(group: self.group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.datagramBufferSize))
        if packetInfo {
            // Only set where it applies: NIO sets the IP option even for `false`, which AF_UNIX refuses.
            bootstrap = bootstrap.channelOption(.receivePacketInfo, value: true)
        }
        return
            bootstrap
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    if let guardState {
                        try pipeline.addHandler(
                            DatagramGuardHandler(state: guardState, counters: counters, access: access)
                        )
                    }
                    try pipeline.addHandler(DatagramRecorder(counters: counters, logger: logger))
                    if let guardState {
                        try pipeline.addHandler(ReplySizeCap(state: guardState))
                    }
                    try pipeline.addHandlers(instance.makeDatagramHandlers())
                }
            }
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
