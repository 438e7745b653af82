import CSystemd
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

enum SocketActivation {
    /// SD_LISTEN_FDS_START: the first inherited descriptor.
    static let firstDescriptor: Int32 = 3

    /// The sockets systemd passed to this process (LISTEN_PID must be ours), with their names. The LISTEN_*
    /// variables are removed so that nothing we start inherits them. Empty when not socket-activated.
    static func inheritedSockets() throws(ActivationError) -> [InheritedSocket] {
        var names: UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>?
        let count = sd_listen_fds_with_names(1, &names)
        guard count >= 0 else {
            throw ActivationError("cannot read the sockets passed by systemd: \(String(cString: strerror(-count)))")
        }
        defer {
            if let names {
                for index in 0..<Int(count) { free(names[index]) }
                free(names)
            }
        }
        return (0..<count).map { index in
            let name = names?[Int(index)].map { String(cString: $0) } ?? "unknown"
            return Self.inspect(fd: Self.firstDescriptor + index, name: name)
        }
    }

    /// What kind of socket `fd` is, by asking the kernel.
    static func inspect(fd: Int32, name: String) -> InheritedSocket {
        let kind: InheritedSocket.Kind
        if sd_is_socket_inet(fd, 0, Int32(SOCK_STREAM.rawValue), 1, 0) > 0 {
            kind = .tcpListener
        } else if sd_is_socket_inet(fd, 0, Int32(SOCK_DGRAM.rawValue), -1, 0) > 0 {
            kind = .udp
        } else if sd_is_socket_unix(fd, Int32(SOCK_STREAM.rawValue), 1, nil, 0) > 0 {
            kind = .unixStreamListener
        } else if sd_is_socket_unix(fd, Int32(SOCK_DGRAM.rawValue), -1, nil, 0) > 0 {
            kind = .unixDatagram
        } else if sd_is_socket(fd, Int32(AF_UNSPEC), Int32(SOCK_STREAM.rawValue), 0) > 0 {
            kind = .connectedStream
        } else if sd_is_socket(fd, Int32(AF_UNSPEC), 0, -1) > 0 {
            kind = .unsupported("socket of an unsupported family or type")
        } else if sd_is_fifo(fd, nil) > 0 {
            kind = .unsupported("FIFO")
        } else {
            kind = .unsupported("not a socket")
        }
        return InheritedSocket(
            fd: fd,
            name: name,
            kind: kind,
            localAddress: Self.localAddress(of: fd),
            backlog: kind == .tcpListener ? Self.listenBacklog(of: fd) : nil
        )
    }

    private static func localAddress(of fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard result == 0 else { return nil }
        switch Int32(storage.ss_family) {
        case AF_INET:
            return withUnsafeBytes(of: storage) { SocketAddress($0.load(as: sockaddr_in.self), host: "") }
        case AF_INET6:
            return withUnsafeBytes(of: storage) { SocketAddress($0.load(as: sockaddr_in6.self), host: "") }
        case AF_UNIX:
            return withUnsafeBytes(of: storage) { SocketAddress($0.load(as: sockaddr_un.self)) }
        default:
            return nil
        }
    }

    /// A listening TCP socket reports its accept-queue limit in `tcpi_sacked` (and the current queue length in
    /// `tcpi_unacked`): that is the backlog systemd chose, which NIO's adoption would otherwise cut to 128.
    static func listenBacklog(of fd: Int32) -> Int32? {
        var info = tcp_info()
        var length = socklen_t(MemoryLayout<tcp_info>.size)
        guard getsockopt(fd, Int32(IPPROTO_TCP), TCP_INFO, &info, &length) == 0, info.tcpi_state == 10 /* LISTEN */
        else { return nil }
        return Int32(clamping: info.tcpi_sacked)
    }
}
