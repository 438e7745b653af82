import NIOCore

#if canImport(Glibc)
import Glibc
#endif

extension SocketAddress {
    /// A kernel socket address (from recvmmsg, accept or getsockname) as NIO's, without the textual host NIO's own
    /// initialisers format with inet_ntop for every address: the daemon formats addresses itself, from the sockaddr
    /// (as `ipAddress` does too), and only when a line is logged. nil for anything but IPv4 and IPv6.
    init?(kernel storage: UnsafeMutablePointer<sockaddr_storage>) {
        switch Int32(storage.pointee.ss_family) {
        case AF_INET:
            self = storage.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { SocketAddress($0.pointee, host: "") }
        case AF_INET6:
            self = storage.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) {
                SocketAddress($0.pointee, host: "")
            }
        default:
            return nil
        }
    }

    /// getsockname(2) of `fd`: for an accepted socket, the address its client reached. nil if the kernel will not
    /// say, or for anything but IPv4 and IPv6.
    static func local(of fd: Int32) -> SocketAddress? {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let named = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        guard named == 0 else { return nil }
        return SocketAddress(kernel: &storage)
    }
}
