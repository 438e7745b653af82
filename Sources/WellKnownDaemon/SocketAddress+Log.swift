import NIOCore

extension SocketAddress {
    /// `127.0.0.1:53422`, `[::1]:6013`, or the socket path. IPv4 peers of a dual-stack socket arrive as
    /// `::ffff:a.b.c.d`: they are written as the plain IPv4 address they are.
    var logDescription: String {
        let host = self.logHost
        switch self {
        case .v4: return "\(host):\(self.port ?? 0)"
        case .v6: return host.contains(":") ? "[\(host)]:\(self.port ?? 0)" : "\(host):\(self.port ?? 0)"
        case .unixDomainSocket: return host
        }
    }

    /// The address without its port, v4-mapped IPv6 unmapped.
    var logHost: String {
        switch self {
        case .v4:
            return self.ipAddress ?? "?"
        case .v6(let address):
            let bytes = withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
            if bytes.count == 16, bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                return "\(bytes[12]).\(bytes[13]).\(bytes[14]).\(bytes[15])"
            }
            return self.ipAddress ?? "?"
        case .unixDomainSocket:
            // A socketpair or a client that never bound has no path.
            guard let path = self.pathname, !path.isEmpty else { return "unnamed" }
            return path
        }
    }
}

extension SocketAddress {
    /// The IP address as access lists compare it: 4 bytes for IPv4 and IPv4-mapped IPv6, 16 for IPv6; nil for
    /// AF_UNIX.
    var accessBytes: [UInt8]? {
        switch self {
        case .v4(let address):
            return withUnsafeBytes(of: address.address.sin_addr) { Array($0) }
        case .v6(let address):
            let bytes = withUnsafeBytes(of: address.address.sin6_addr) { Array($0) }
            if bytes[0..<10].allSatisfy({ $0 == 0 }), bytes[10] == 0xFF, bytes[11] == 0xFF {
                return Array(bytes[12...])
            }
            return bytes
        case .unixDomainSocket:
            return nil
        }
    }
}
