#if canImport(Glibc)
import Glibc
#endif

/// HOST to the addresses to try, in the order the system's resolver gives them (getaddrinfo: /etc/hosts, DNS, and
/// RFC 6724's ordering), each once.
public enum Resolver {
    public enum Family: Sendable {
        case any, ipv4, ipv6
    }

    public struct Failure: Error, CustomStringConvertible {
        public let description: String
    }

    public static func resolve(_ host: String, family: Family) throws(Failure) -> [ProbeAddress] {
        if host.hasPrefix("unix:") {
            let path = String(host.dropFirst("unix:".count))
            guard !path.isEmpty, path.utf8.count <= 107 else {
                throw Failure(description: "\(host): not an AF_UNIX path of 1 to 107 bytes")
            }
            return [ProbeAddress(kind: .unix(path: path))]
        }
        // A bracketed IPv6 literal, as URLs write them.
        let name = host.hasPrefix("[") && host.hasSuffix("]") ? String(host.dropFirst().dropLast()) : host
        var hints = addrinfo()
        hints.ai_family = family == .ipv4 ? AF_INET : family == .ipv6 ? AF_INET6 : AF_UNSPEC
        hints.ai_socktype = Int32(SOCK_STREAM.rawValue)
        var list: UnsafeMutablePointer<addrinfo>?
        let status = getaddrinfo(name, nil, &hints, &list)
        guard status == 0, let first = list else {
            let reason = String(cString: gai_strerror(status))
            throw Failure(description: "\(host): \(reason)")
        }
        defer { freeaddrinfo(first) }
        var addresses: [ProbeAddress] = []
        var entry: UnsafeMutablePointer<addrinfo>? = first
        while let current = entry {
            if let address = current.pointee.ai_addr {
                switch current.pointee.ai_family {
                case AF_INET:
                    let sin = UnsafeRawPointer(address).assumingMemoryBound(to: sockaddr_in.self).pointee
                    addresses.append(ProbeAddress(kind: .ipv4(sin.sin_addr.s_addr, port: 0)))
                case AF_INET6:
                    var sin6 = UnsafeRawPointer(address).assumingMemoryBound(to: sockaddr_in6.self).pointee
                    let bytes = withUnsafeBytes(of: &sin6.sin6_addr) { Array($0) }
                    addresses.append(ProbeAddress(kind: .ipv6(bytes, scope: sin6.sin6_scope_id, port: 0)))
                default:
                    break
                }
            }
            entry = current.pointee.ai_next
        }
        var seen: Set<ProbeAddress> = []
        let unique = addresses.filter { seen.insert($0).inserted }
        guard !unique.isEmpty else {
            throw Failure(
                description: "\(host): no \(family == .ipv4 ? "IPv4 " : family == .ipv6 ? "IPv6 " : "")address"
            )
        }
        return unique
    }
}
