// sys/socket.h's constants reach Swift through CSystemd and CDatagramIO (see ListenerFactory).
import CDatagramIO
import CSystemd
import NIOConcurrencyHelpers
import NIOCore
import Synchronization

#if canImport(Glibc)
import Glibc
#endif

/// A UDP socket served by a `DatagramLoop`: its descriptor, its address, and the route it serves, which a reload
/// swaps between two batches. Opened paused: the loop reads nothing until `resume()`.
final class BatchedDatagramSocket: Sendable {
    let fd: Int32
    /// The address bound (the kernel's, with the port it chose).
    let localAddress: SocketAddress?
    /// Whether each datagram's destination is read from its control message: wildcard sockets, where the bound
    /// address says nothing about it.
    let packetInfo: Bool
    let loop: DatagramLoop
    private let route: NIOLockedValueBox<(generation: Int, route: Route)>
    private let closed = Atomic<Bool>(false)

    private init(fd: Int32, packetInfo: Bool, route: Route, loop: DatagramLoop) {
        self.fd = fd
        self.packetInfo = packetInfo
        self.loop = loop
        self.route = NIOLockedValueBox((0, route))
        self.localAddress = try? SocketAddress.localAddress(of: fd)
    }

    /// A new socket on `address`, sharing it (SO_REUSEPORT) with the other loops' sockets for it.
    static func bind(
        _ address: SocketAddress,
        v6only: SocketOptionValue?,
        packetInfo: Bool,
        route: Route,
        loop: DatagramLoop
    ) throws -> BatchedDatagramSocket {
        let fd = socket(
            Int32(address.protocol.rawValue),
            Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_NONBLOCK.rawValue) | Int32(SOCK_CLOEXEC.rawValue),
            0
        )
        guard fd >= 0 else { throw IOError(errnoCode: errno, reason: "socket") }
        do {
            try Self.set(fd, SOL_SOCKET, SO_REUSEADDR, 1)
            try Self.set(fd, SOL_SOCKET, SO_REUSEPORT, 1)
            if let v6only {
                try Self.set(fd, Int32(IPPROTO_IPV6), IPV6_V6ONLY, Int32(v6only))
            }
            if packetInfo, wk_enable_packet_info(fd, Int32(address.protocol.rawValue)) != 0 {
                throw IOError(errnoCode: errno, reason: "setsockopt(packet info)")
            }
            let bound = address.withSockAddr { Glibc.bind(fd, $0, socklen_t($1)) }
            guard bound == 0 else { throw IOError(errnoCode: errno, reason: "bind") }
        } catch {
            Glibc.close(fd)
            throw error
        }
        return BatchedDatagramSocket(fd: fd, packetInfo: packetInfo, route: route, loop: loop)
    }

    /// A bound UDP socket systemd passed us; from here on it is ours to close.
    static func adopt(fd: Int32, packetInfo: Bool, route: Route, loop: DatagramLoop) throws -> BatchedDatagramSocket {
        let flags = fcntl(fd, F_GETFL)
        guard flags >= 0, fcntl(fd, F_SETFL, flags | O_NONBLOCK) == 0 else {
            throw IOError(errnoCode: errno, reason: "fcntl(O_NONBLOCK)")
        }
        if packetInfo, let family = try? SocketAddress.localAddress(of: fd).protocol.rawValue,
            wk_enable_packet_info(fd, Int32(family)) != 0
        {
            throw IOError(errnoCode: errno, reason: "setsockopt(packet info)")
        }
        return BatchedDatagramSocket(fd: fd, packetInfo: packetInfo, route: route, loop: loop)
    }

    private static func set(_ fd: Int32, _ level: Int32, _ name: Int32, _ value: Int32) throws {
        var value = value
        guard setsockopt(fd, level, name, &value, socklen_t(MemoryLayout<Int32>.size)) == 0 else {
            throw IOError(errnoCode: errno, reason: "setsockopt")
        }
    }

    /// The route now and its generation, which changes with every reroute.
    var current: (generation: Int, route: Route) { self.route.withLockedValue { $0 } }

    /// Serves `route` from the next batch on.
    func reroute(_ route: Route) {
        self.route.withLockedValue { $0 = ($0.generation + 1, route) }
    }

    /// Starts reading.
    func resume() async throws {
        try await self.loop.add(self)
    }

    /// Stops reading (the loop lets go of the socket first), then closes the socket. Closing twice closes once.
    func close() async {
        guard !self.closed.exchange(true, ordering: .acquiringAndReleasing) else { return }
        await self.loop.remove(self)
        Glibc.close(self.fd)
    }
}

extension SocketAddress {
    /// getsockname(2) of `fd`.
    fileprivate static func localAddress(of fd: Int32) throws -> SocketAddress {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { throw IOError(errnoCode: errno, reason: "getsockname") }
        return try withUnsafeMutablePointer(to: &storage) { pointer in
            switch Int32(pointer.pointee.ss_family) {
            case AF_INET:
                return pointer.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee) }
            case AF_INET6:
                return pointer.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { SocketAddress($0.pointee) }
            default:
                throw IOError(errnoCode: EAFNOSUPPORT, reason: "getsockname")
            }
        }
    }
}
