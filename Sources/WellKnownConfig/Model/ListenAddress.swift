/// Where a listener listens: an IP address and port, or an AF_UNIX socket path.
public enum ListenAddress: Sendable, Hashable, CustomStringConvertible {
    case ip(BindAddress, port: Int)
    case unix(path: String)

    /// `127.0.0.1:6013`, `[::1]:6013`, `/run/wellknownd/echo.sock`
    public var description: String {
        switch self {
        case .ip(let address, let port): return address.endpoint(port: port)
        case .unix(let path): return path
        }
    }

    /// Whether both could not be bound at once on one transport: overlapping IP addresses on the same port, or
    /// the same path (a path is taken whatever the socket type).
    public func collides(with other: ListenAddress, sameTransport: Bool) -> Bool {
        switch (self, other) {
        // Port 0 is a port the kernel picks: one of its own for every listener.
        case (.ip(let a, let p), .ip(let b, let q)): return sameTransport && p == q && p != 0 && a.overlaps(b)
        case (.unix(let a), .unix(let b)): return a == b
        default: return false
        }
    }
}
