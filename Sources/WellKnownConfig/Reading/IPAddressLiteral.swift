#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Numeric IP literals through inet_pton(3) and inet_ntop(3): the system's own rules, and no name resolution.
enum IPAddressLiteral {
    static func canonical(_ text: String) -> (BindAddress.Family, String)? {
        if let v4 = convert(text, family: AF_INET, size: 4) {
            return (.ipv4, v4)
        }
        if let v6 = convert(text, family: AF_INET6, size: 16) {
            return (.ipv6, v6)
        }
        return nil
    }

    /// The address bytes of a canonical literal: 4 for IPv4, 16 for IPv6.
    static func bytes(_ text: String) -> [UInt8]? {
        for (family, size) in [(AF_INET, 4), (AF_INET6, 16)] {
            var raw = [UInt8](repeating: 0, count: size)
            if inet_pton(family, text, &raw) == 1 { return raw }
        }
        return nil
    }

    /// The canonical text of 4 or 16 address bytes.
    static func text(_ bytes: [UInt8]) -> String? {
        let family = bytes.count == 4 ? AF_INET : AF_INET6
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        guard bytes.count == 4 || bytes.count == 16, inet_ntop(family, bytes, &out, socklen_t(out.count)) != nil else {
            return nil
        }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }

    private static func convert(_ text: String, family: Int32, size: Int) -> String? {
        var raw = [UInt8](repeating: 0, count: size)
        guard inet_pton(family, text, &raw) == 1 else { return nil }
        var out = [CChar](repeating: 0, count: Int(INET6_ADDRSTRLEN) + 1)
        guard inet_ntop(family, raw, &out, socklen_t(out.count)) != nil else { return nil }
        return String(decoding: out.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)
    }
}
