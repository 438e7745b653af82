import NIOCore
import WellKnownConfig
import WellKnownLogging

#if canImport(Glibc)
import Glibc
#endif

/// A socket inherited from systemd, described by what it really is: systemd does not keep the order of the fds
/// stable, so neither its position nor only its name is trusted.
struct InheritedSocket: Sendable, Hashable, CustomStringConvertible {
    enum Kind: Sendable, Hashable {
        case tcpListener
        case udp
        case unixStreamListener
        case unixDatagram
        /// A connected stream, as `Accept=yes` passes: one connection, not a listener.
        case connectedStream
        case unsupported(String)

        var transport: Transport? {
            switch self {
            case .tcpListener, .unixStreamListener: return .tcp
            case .udp, .unixDatagram: return .udp
            case .connectedStream, .unsupported: return nil
            }
        }

        var label: String {
            switch self {
            case .tcpListener: return "TCP listener"
            case .udp: return "UDP socket"
            case .unixStreamListener: return "AF_UNIX stream listener"
            case .unixDatagram: return "AF_UNIX datagram socket"
            case .connectedStream: return "connected stream (Accept=yes)"
            case .unsupported(let what): return what
            }
        }
    }

    let fd: Int32
    /// From `FileDescriptorName=` (or systemd's default, the socket unit's name).
    let name: String
    let kind: Kind
    /// The bound address, `ip:port` or the socket path.
    let localAddress: SocketAddress?
    /// systemd's listen backlog, read back from the kernel (TCP listeners only).
    let backlog: Int32?

    var port: Int? { self.localAddress?.port }

    var description: String {
        "fd \(self.fd) (name \"\(self.name)\", \(self.kind.label) on \(self.localAddress?.logDescription ?? "?"))"
    }
}
