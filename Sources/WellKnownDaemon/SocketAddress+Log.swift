import NIOCore

extension SocketAddress {
    /// `127.0.0.1:53422`, `[::1]:6013`, or the socket path. IPv4 peers of a dual-stack socket arrive as
    /// `::ffff:a.b.c.d`: they are written as the plain IPv4 address they are.
    var logDescription: String {
        self.logDescription(port: self.port ?? 0)
    }

    /// This address with another port: a datagram's destination address (learnt without a port) on our socket.
    func logDescription(port: Int) -> String {
        switch self {
        case .unixDomainSocket: return self.logHost
        case .v4, .v6:
            if let bytes = self.ipBytes, bytes.count == 4 {
                return Self.dottedQuad(bytes, port: port)
            }
            return "[\(self.logHost)]:\(port)"
        }
    }

    var isUnix: Bool {
        if case .unixDomainSocket = self { return true }
        return false
    }

    /// `a.b.c.d` or `a.b.c.d:port`, formatted by hand: this runs for every logged connection and datagram.
    private static func dottedQuad(_ bytes: [UInt8], port: Int?) -> String {
        var out: [UInt8] = []
        out.reserveCapacity(21)
        out.appendDottedQuad(bytes, port: port)
        return String(decoding: out, as: UTF8.self)
    }

    /// The address without its port, v4-mapped IPv6 unmapped.
    var logHost: String {
        switch self {
        case .v4:
            return self.ipBytes.map { Self.dottedQuad($0, port: nil) } ?? "?"
        case .v6:
            if let bytes = self.ipBytes, bytes.count == 4 {
                return Self.dottedQuad(bytes, port: nil)
            }
            return self.ipAddress ?? "?"
        case .unixDomainSocket:
            // A socketpair or a client that never bound has no path.
            guard let path = self.pathname, !path.isEmpty else { return "unnamed" }
            return path
        }
    }

    /// The IP address as the daemon judges it (access lists, rate-limit sources, logs): 4 bytes for IPv4 and for
    /// IPv4-mapped IPv6 (`::ffff:a.b.c.d`), 16 for other IPv6; nil for AF_UNIX.
    var ipBytes: [UInt8]? {
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

/// ASCII digits straight into a log line under construction, shared by the line formatter and the address strings.
extension Array where Element == UInt8 {
    mutating func appendDecimal(_ value: Int) {
        if value < 0 {
            self.append(UInt8(ascii: "-"))
        }
        // Least significant digit first, then turned round in place: no recursion, no temporary.
        let start = self.endIndex
        var rest = value.magnitude
        repeat {
            self.append(UInt8(ascii: "0") + UInt8(rest % 10))
            rest /= 10
        } while rest > 0
        self[start...].reverse()
    }

    /// `a.b.c.d`, or `a.b.c.d:port`.
    mutating func appendDottedQuad(_ bytes: [UInt8], port: Int?) {
        for (index, byte) in bytes.enumerated() {
            if index > 0 { self.append(UInt8(ascii: ".")) }
            self.appendDecimal(Int(byte))
        }
        if let port {
            self.append(UInt8(ascii: ":"))
            self.appendDecimal(port)
        }
    }

    /// Seconds with four decimals: `0.0003`, `1.5000`. Negative amounts are written as 0.
    mutating func appendSeconds(nanoseconds: Int64) {
        let tenThousandths = Swift.max(0, nanoseconds) / 100_000
        self.appendDecimal(Int(tenThousandths / 10_000))
        self.append(UInt8(ascii: "."))
        let fraction = Int(tenThousandths % 10_000)
        for divisor in [1000, 100, 10, 1] {
            self.append(UInt8(ascii: "0") + UInt8(fraction / divisor % 10))
        }
    }
}
