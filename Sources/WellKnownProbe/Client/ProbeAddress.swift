import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// One address a probe can connect to: an IPv4 or IPv6 address with a port, or an AF_UNIX path.
public struct ProbeAddress: Sendable, Hashable, CustomStringConvertible {
    public enum Kind: Sendable, Hashable {
        case ipv4(in_addr_t, port: Int)
        /// The 16 bytes of the address, and the scope (interface) of a link-local one.
        case ipv6([UInt8], scope: UInt32, port: Int)
        case unix(path: String)
    }

    public let kind: Kind

    public var family: Int32 {
        switch self.kind {
        case .ipv4: return AF_INET
        case .ipv6: return AF_INET6
        case .unix: return AF_UNIX
        }
    }

    /// `127.0.0.1:13`, `[::1]:13`, `/run/wellknownd/echo.sock`
    public var description: String {
        self.withSockAddr { address, _ in ProbeAddress.describe(address) } ?? "?"
    }

    public func withPort(_ port: Int) -> ProbeAddress {
        switch self.kind {
        case .ipv4(let address, _): return ProbeAddress(kind: .ipv4(address, port: port))
        case .ipv6(let bytes, let scope, _): return ProbeAddress(kind: .ipv6(bytes, scope: scope, port: port))
        case .unix: return self
        }
    }

    public func withSockAddr<Result>(_ body: (UnsafePointer<sockaddr>, socklen_t) -> Result) -> Result? {
        switch self.kind {
        case .ipv4(let address, let port):
            var sin = sockaddr_in()
            sin.sin_family = sa_family_t(AF_INET)
            sin.sin_port = in_port_t(UInt16(port).bigEndian)
            sin.sin_addr = in_addr(s_addr: address)
            return withUnsafePointer(to: &sin) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in>.size))
                }
            }
        case .ipv6(let bytes, let scope, let port):
            var sin6 = sockaddr_in6()
            sin6.sin6_family = sa_family_t(AF_INET6)
            sin6.sin6_port = in_port_t(UInt16(port).bigEndian)
            sin6.sin6_scope_id = scope
            withUnsafeMutableBytes(of: &sin6.sin6_addr) { raw in
                for (index, byte) in bytes.prefix(16).enumerated() { raw[index] = byte }
            }
            return withUnsafePointer(to: &sin6) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_in6>.size))
                }
            }
        case .unix(let path):
            var sun = sockaddr_un()
            sun.sun_family = sa_family_t(AF_UNIX)
            let bytes = Array(path.utf8)
            guard bytes.count < MemoryLayout.size(ofValue: sun.sun_path) else { return nil }
            withUnsafeMutableBytes(of: &sun.sun_path) { raw in
                for (index, byte) in bytes.enumerated() { raw[index] = byte }
            }
            return withUnsafePointer(to: &sun) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    body($0, socklen_t(MemoryLayout<sockaddr_un>.size))
                }
            }
        }
    }

    /// The text of a socket address as the logs write it: IPv6 in brackets, IPv4-mapped IPv6 as IPv4, AF_UNIX as
    /// its path (`unnamed` for an autobound or unbound one).
    static func describe(_ address: UnsafePointer<sockaddr>) -> String {
        switch Int32(address.pointee.sa_family) {
        case AF_INET:
            return address.withMemoryRebound(to: sockaddr_in.self, capacity: 1) { sin in
                var addr = sin.pointee.sin_addr
                return "\(Self.text(AF_INET, &addr)):\(UInt16(bigEndian: sin.pointee.sin_port))"
            }
        case AF_INET6:
            return address.withMemoryRebound(to: sockaddr_in6.self, capacity: 1) { sin6 in
                var addr = sin6.pointee.sin6_addr
                let port = UInt16(bigEndian: sin6.pointee.sin6_port)
                let bytes = withUnsafeBytes(of: &addr) { Array($0) }
                if bytes[0..<10].allSatisfy({ $0 == 0 }) && bytes[10] == 0xFF && bytes[11] == 0xFF {
                    return "\(bytes[12]).\(bytes[13]).\(bytes[14]).\(bytes[15]):\(port)"
                }
                return "[\(Self.text(AF_INET6, &addr))]:\(port)"
            }
        case AF_UNIX:
            return address.withMemoryRebound(to: sockaddr_un.self, capacity: 1) { sun in
                var path = sun.pointee.sun_path
                let text = withUnsafeBytes(of: &path) { raw in
                    String(decoding: raw.prefix { $0 != 0 }, as: UTF8.self)
                }
                return text.isEmpty ? "unnamed" : text
            }
        default:
            return "?"
        }
    }

    private static func text(_ family: Int32, _ address: UnsafeMutableRawPointer) -> String {
        var buffer = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN))
        guard inet_ntop(family, address, &buffer, socklen_t(buffer.count)) != nil else { return "?" }
        return String(decoding: buffer.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
