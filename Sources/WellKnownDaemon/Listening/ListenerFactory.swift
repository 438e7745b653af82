// sys/socket.h's constants (SOCK_STREAM, SOCK_CLOEXEC) reach Swift through the clang modules that include the
// header, CSystemd's sd-daemon.h and CDatagramIO's, not Glibc: a build finds them only with these imports.
import CDatagramIO
import CSystemd
import Logging
import NIOCore
import NIOPosix
import WellKnownConfig
import WellKnownLogging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Opens listening sockets and wires each to the route it serves.
struct ListenerFactory {
    let group: any EventLoopGroup
    let registry: ConnectionRegistry
    let logger: Logger
    let connectionGate: ConnectionGate
    let datagramLoops: DatagramLoops
    let acceptLoops: AcceptLoops

    /// AF_UNIX datagram sockets (served by NIO): the largest datagram we read whole. NIO's default 2048-byte
    /// datagram buffer would silently truncate echo replies, as xinetd does.
    static let datagramBufferSize = 65536
    static let datagramsPerRead = 8

    static let ipv6Only = ChannelOptions.socket(SocketOptionLevel(IPPROTO_IPV6), SocketOptionName(IPV6_V6ONLY))
    static let reusePort = ChannelOptions.socket(SocketOptionLevel(SOL_SOCKET), SocketOptionName(SO_REUSEPORT))

    /// `key`: what a reload knows the socket by; by default the listener's own address.
    func bind(_ listener: Listener, route: Route, key: ListenerKey? = nil) async throws(BindError) -> RunningListener {
        let box = RouteBox(route)
        var channels: [any Channel] = []
        var datagramSockets: [BatchedDatagramSocket] = []
        var oneShot: [(loop: AcceptLoop, listener: OneShotListener)] = []
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
                let v6only = Self.v6only(for: bindAddress)
                // SO_REUSEPORT would let a second daemon (of the same user) share the port without a word: a plain
                // bind first proves that nobody holds it.
                try Self.probe(address, transport: listener.transport, v6only: v6only)
                switch listener.transport {
                case .tcp:
                    for loop in self.group.makeIterator() {
                        var bootstrap = self.streamBootstrap(box, on: loop)
                            .serverChannelOption(Self.reusePort, value: 1)
                        if let v6only {
                            bootstrap = bootstrap.serverChannelOption(Self.ipv6Only, value: v6only)
                        }
                        channels.append(try await bootstrap.bind(to: address).get())
                    }
                    oneShot = await self.oneShot(channels, route: box)
                case .udp:
                    // Only a wildcard socket needs each datagram's destination (IP_PKTINFO); on a specific address
                    // it is that address, and the control messages would cost every datagram.
                    for loop in self.datagramLoops.loops {
                        datagramSockets.append(
                            try BatchedDatagramSocket.bind(
                                address,
                                v6only: v6only,
                                packetInfo: bindAddress.isWildcard,
                                route: route,
                                loop: loop
                            )
                        )
                    }
                }
            }
        } catch {
            for channel in channels {
                try? await channel.close()
            }
            for socket in datagramSockets {
                await socket.close()
            }
            throw BindError(listener: listener, cause: error)
        }
        return RunningListener(
            key: key ?? .bound(listener.transport, listener.address),
            label: listener.description,
            channels: channels,
            datagramSockets: datagramSockets,
            oneShot: oneShot,
            route: box,
            logger: self.logger
        )
    }

    /// The IP stream sockets `channels` as the accept loops would serve them, the i-th by the i-th loop; empty if a
    /// channel's descriptor cannot be had (NIO then accepts for every service, as it can).
    private func oneShot(_ channels: [any Channel], route: RouteBox) async -> [(
        loop: AcceptLoop, listener: OneShotListener
    )] {
        let records = RecordLog(self.logger)
        var served: [(loop: AcceptLoop, listener: OneShotListener)] = []
        for (index, channel) in channels.enumerated() {
            let descriptor = try? await channel.eventLoop.submit {
                try AcceptedSocket.withDescriptor(of: channel) { $0 }
            }.get()
            guard let fd = descriptor else { return [] }
            served.append(
                (
                    self.acceptLoops.loop(for: index, of: channels.count),
                    OneShotListener(
                        fd: fd,
                        route: route,
                        gate: self.connectionGate,
                        records: records,
                        bound: channel.localAddress
                    )
                )
            )
        }
        return served
    }

    /// IPV6_V6ONLY for a bind address: "::" serves IPv4 too whatever net.ipv6.bindv6only says; a specific IPv6
    /// address only itself; nil (not set) for IPv4.
    static func v6only(for address: BindAddress) -> SocketOptionValue? {
        address.family == .ipv6 ? (address.isWildcard ? 0 : 1) : nil
    }

    /// Binds `address` once without SO_REUSEPORT (and, for UDP, without SO_REUSEADDR), then closes it: fails with
    /// EADDRINUSE if any socket holds the address. Returns the port bound: the kernel's pick for port 0.
    @discardableResult
    static func probe(_ address: SocketAddress, transport: Transport, v6only: SocketOptionValue?) throws -> Int {
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
        var bound = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw IOError(errnoCode: errno, reason: "getsockname") }
        // sin_port and sin6_port sit at the same offset, in network byte order.
        return withUnsafeBytes(of: bound) {
            Int(UInt16(bigEndian: $0.loadUnaligned(fromByteOffset: 2, as: UInt16.self)))
        }
    }

    /// Serves a socket systemd passed us. NIO takes the descriptor over.
    func adopt(_ socket: InheritedSocket, route: Route) async throws(ActivationError) -> RunningListener {
        let box = RouteBox(route)
        let address = socket.localAddress?.logDescription ?? "?"
        let label = "\(route.service)/\(route.transport.rawValue) \(address) (fd \(socket.fd))"
        if socket.kind == .udp {
            let wildcard = socket.localAddress?.ipBytes?.allSatisfy { $0 == 0 } ?? false
            do {
                let batched = try BatchedDatagramSocket.adopt(
                    fd: socket.fd,
                    packetInfo: wildcard,
                    route: route,
                    loop: self.datagramLoops.nextLoop()
                )
                return RunningListener(
                    key: .inherited(fd: socket.fd),
                    label: label,
                    channels: [],
                    datagramSockets: [batched],
                    route: box,
                    logger: self.logger
                )
            } catch {
                throw ActivationError("\(socket) could not be served: \(error)")
            }
        }
        let channel: any Channel
        do {
            switch route.transport {
            case .tcp:
                channel = try await self.streamBootstrap(box, on: self.group).withBoundSocket(socket.fd).get()
                Self.restoreBacklog(of: socket)
            case .udp:
                // AF_UNIX: IP datagram sockets went to a DatagramLoop above.
                channel = try await self.datagramBootstrap(box, on: self.group, packetInfo: false)
                    .withBoundSocket(socket.fd).get()
            }
        } catch {
            throw ActivationError("\(socket) could not be served: \(error)")
        }
        // An inherited AF_UNIX listener stays with NIO: its clients are named from SO_PEERCRED.
        let unix = socket.localAddress?.isUnix ?? true
        return RunningListener(
            key: .inherited(fd: socket.fd),
            label: label,
            channels: [channel],
            oneShot: route.transport == .tcp && !unix ? await self.oneShot([channel], route: box) : [],
            route: box,
            logger: self.logger
        )
    }

    /// Adopting a listener calls listen(fd, 128); this gives it back the backlog systemd chose (Backlog=, SOMAXCONN
    /// by default), which the kernel caps at net.core.somaxconn.
    static func restoreBacklog(of socket: InheritedSocket) {
        _ = listen(socket.fd, socket.backlog ?? SOMAXCONN)
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
                    try pipeline.addHandler(ReplyOnAccept(route: box, gate: gate, records: records))
                }
            }
            // Synchronous, with the loop's cached succeeded future: the bootstrap's own way to set a child option
            // (childChannelOption) chains a promise and a future per option, and makeCompletedFuture allocates one
            // more; together about 8k of the 118k instructions a connect + echo + close cost (bench/callgrind).
            .childChannelInitializer { channel in
                do {
                    // Each service decides what a half-close means: echo answers what is left, discard closes,
                    // chargen carries on streaming. Accepted NIOPosix channels always have synchronous options.
                    guard let options = channel.syncOptions else { throw ChannelError.operationUnsupported }
                    try options.setOption(.allowRemoteHalfClosure, value: true)
                    // The route in force when the connection arrived serves it to the end, whatever reloads follow.
                    let route = box.withLockedValue { $0 }
                    let pipeline = channel.pipeline.syncOperations
                    let lifecycle = route.lifecycle(gate: gate, records: records)
                    guard let admitted = lifecycle.admit(client: channel.remoteAddress, server: channel.localAddress)
                    else {
                        // Closed at once, before any byte is sent.
                        try pipeline.addHandler(RefusedConnectionHandler())
                        return channel.eventLoop.makeSucceededVoidFuture()
                    }
                    // First, so that from here on the place at the gate is given back whatever happens.
                    try pipeline.addHandler(ConnectionRecorder(admitted))
                    registry.add(channel, service: route.service, admission: route.admission, client: admitted.client)
                    if StreamBoundsHandler.isNeeded(for: route.bounds) {
                        try pipeline.addHandler(StreamBoundsHandler(bounds: route.bounds))
                    }
                    try pipeline.addHandlers(route.instance.makeStreamHandlers())
                    return channel.eventLoop.makeSucceededVoidFuture()
                } catch {
                    return channel.eventLoop.makeFailedFuture(error)
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
