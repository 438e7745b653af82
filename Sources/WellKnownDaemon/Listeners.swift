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
        return "cannot listen on \(listener.transport.rawValue) \(listener.address.endpoint(port: listener.port)) "
            + "for \(listener.service): \(reason)"
    }
}

/// Opens the sockets of listeners and wires each into its service.
struct ListenerFactory {
    let group: any EventLoopGroup
    let registry: ConnectionRegistry
    let counters: CounterTable
    let logger: Logger

    /// Largest UDP payload: 65507 bytes over IPv4, 65527 over IPv6. NIO's default 2048-byte datagram buffer
    /// would silently truncate echo replies, as xinetd does.
    static let datagramBufferSize = 65536

    static let ipv6Only = ChannelOptions.socket(SocketOptionLevel(IPPROTO_IPV6), SocketOptionName(IPV6_V6ONLY))

    func bind(_ listener: Listener, instance: ServiceInstance) async throws(BindError) -> any Channel {
        do {
            let address = try SocketAddress(ipAddress: listener.address.text, port: listener.port)
            switch listener.transport {
            case .tcp:
                return try await self.bindStream(listener, instance: instance, address: address)
            case .udp:
                return try await self.bindDatagram(listener, instance: instance, address: address)
            }
        } catch {
            throw BindError(listener: listener, cause: error)
        }
    }

    private func bindStream(
        _ listener: Listener,
        instance: ServiceInstance,
        address: SocketAddress
    ) async throws -> any Channel {
        let counters = self.counters.counters(service: listener.service, transport: .tcp)
        let registry = self.registry
        let logger = self.logger
        var bootstrap = ServerBootstrap(group: self.group)
            .serverChannelOption(.backlog, value: 1024)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            // Each service decides what a half-close means: echo answers what is left, discard closes, chargen
            // carries on streaming.
            .childChannelOption(.allowRemoteHalfClosure, value: true)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    registry.add(channel)
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(ConnectionRecorder(counters: counters, logger: logger))
                    try pipeline.addHandlers(instance.makeStreamHandlers())
                }
            }
        if listener.address.family == .ipv6 {
            // "::" serves IPv4 too whatever net.ipv6.bindv6only says; a specific IPv6 address only itself.
            bootstrap = bootstrap.serverChannelOption(Self.ipv6Only, value: listener.address.isWildcard ? 0 : 1)
        }
        return try await bootstrap.bind(to: address).get()
    }

    private func bindDatagram(
        _ listener: Listener,
        instance: ServiceInstance,
        address: SocketAddress
    ) async throws -> any Channel {
        let counters = self.counters.counters(service: listener.service, transport: .udp)
        let logger = self.logger
        var bootstrap = DatagramBootstrap(group: self.group)
            .channelOption(.socketOption(.so_reuseaddr), value: 1)
            .channelOption(.recvAllocator, value: FixedSizeRecvByteBufferAllocator(capacity: Self.datagramBufferSize))
            .channelOption(.receivePacketInfo, value: true)
            .channelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    try pipeline.addHandler(DatagramRecorder(counters: counters, logger: logger))
                    try pipeline.addHandlers(instance.makeDatagramHandlers())
                }
            }
        if listener.address.family == .ipv6 {
            bootstrap = bootstrap.channelOption(Self.ipv6Only, value: listener.address.isWildcard ? 0 : 1)
        }
        return try await bootstrap.bind(to: address).get()
    }
}

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
