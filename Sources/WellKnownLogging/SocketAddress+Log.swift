import NIOCore

extension SocketAddress {
    /// `127.0.0.1:53422`, `[::1]:6013`, or the socket path. IPv4 peers of a dual-stack socket arrive as
    /// `::ffff:a.b.c.d`: they are written as the plain IPv4 address they are.
    public var logDescription: String {
        self.logDescription(port: self.port ?? 0)
    }

    /// This address with another port: a datagram's destination address (learnt without a port) on our socket.
    public func logDescription(port: Int) -> String {
        switch self {
        case .unixDomainSocket: return self.logHost
        case .v4, .v6:
            if let ipv4 = self.ipv4Value {
                return Self.dottedQuad(ipv4, port: port)
            }
            return "[\(self.logHost)]:\(port)"
        }
    }

    public var isUnix: Bool {
        if case .unixDomainSocket = self { return true }
        return false
    }

    /// `a.b.c.d` or `a.b.c.d:port`, formatted by hand: this runs for every logged connection and datagram.
    private static func dottedQuad(_ ipv4: UInt32, port: Int?) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(21)
        out.appendDottedQuad(ipv4, port: port)
        return String(decoding: out, as: UTF8.self)
    }

    /// The address without its port, v4-mapped IPv6 unmapped.
    public var logHost: String {
        switch self {
        case .v4, .v6:
            if let ipv4 = self.ipv4Value {
                return Self.dottedQuad(ipv4, port: nil)
            }
            return self.ipAddress ?? "?"
        case .unixDomainSocket:
            // A socketpair or a client that never bound has no path.
            guard let path = self.pathname, !path.isEmpty else { return "unnamed" }
            return path
        }
    }

    /// An IPv4 address (or an IPv4-mapped IPv6 one) as a number, `a.b.c.d` being `a << 24 | b << 16 | c << 8 | d`;
    /// nil for other addresses. Read straight from the sockaddr: this runs for every datagram.
    public var ipv4Value: UInt32? {
        switch self {
        case .v4(let address):
            return UInt32(bigEndian: address.address.sin_addr.s_addr)
        case .v6(let address):
            return withUnsafeBytes(of: address.address.sin6_addr) { raw -> UInt32? in
                guard raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self) == 0,
                    UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt32.self)) == 0xFFFF
                else { return nil }
                return UInt32(bigEndian: raw.loadUnaligned(fromByteOffset: 12, as: UInt32.self))
            }
        case .unixDomainSocket:
            return nil
        }
    }

    /// The two halves of an IPv6 address as numbers (the first holds the /64); nil for IPv4 and AF_UNIX.
    public var ipv6Halves: (high: UInt64, low: UInt64)? {
        guard case .v6(let address) = self else { return nil }
        return withUnsafeBytes(of: address.address.sin6_addr) { raw in
            (
                UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self)),
                UInt64(bigEndian: raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self))
            )
        }
    }

    /// The IP address as the daemon judges it (access lists, rate-limit sources, logs): 4 bytes for IPv4 and for
    /// IPv4-mapped IPv6 (`::ffff:a.b.c.d`), 16 for other IPv6; nil for AF_UNIX.
    public var ipBytes: [UInt8]? {
        if let ipv4 = self.ipv4Value {
            return withUnsafeBytes(of: ipv4.bigEndian) { Array($0) }
        }
        guard let (high, low) = self.ipv6Halves else { return nil }
        return withUnsafeBytes(of: (high.bigEndian, low.bigEndian)) { Array($0) }
    }
}
