/// A numeric IP address to bind. `::` is the dual-stack wildcard: it takes IPv4 clients too, on every interface.
public struct BindAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Family: Sendable, Hashable {
        case ipv4
        case ipv6
    }

    public let family: Family
    /// The address in its canonical text form (`127.0.0.1`, `::1`).
    public let text: String

    /// Accepts IPv4 dotted quads and IPv6 literals (with or without brackets); nil for anything else.
    public init?(_ literal: String) {
        var body = Substring(literal)
        if body.hasPrefix("["), body.hasSuffix("]") {
            body = body.dropFirst().dropLast()
        }
        guard let (family, canonical) = IPAddressLiteral.canonical(String(body)) else { return nil }
        self.family = family
        self.text = canonical
    }

    public var isWildcard: Bool { self.text == "0.0.0.0" || self.text == "::" }

    /// `127.0.0.1:6013` or `[::1]:6013`.
    public func endpoint(port: Int) -> String {
        self.family == .ipv6 ? "[\(self.text)]:\(port)" : "\(self.text):\(port)"
    }

    public var description: String { self.text }

    public static func < (lhs: BindAddress, rhs: BindAddress) -> Bool {
        (lhs.family == .ipv4 ? 0 : 1, lhs.text) < (rhs.family == .ipv4 ? 0 : 1, rhs.text)
    }

    /// Whether binding both on one port and transport would collide: the same address, a wildcard of the same
    /// family, or the dual-stack `::`, which also holds every IPv4 address.
    public func overlaps(_ other: BindAddress) -> Bool {
        if self == other { return true }
        if self.text == "::" || other.text == "::" { return true }
        return self.family == other.family && (self.isWildcard || other.isWildcard)
    }

    public static let ipv4Loopback = BindAddress(uncheckedFamily: .ipv4, text: "127.0.0.1")
    public static let ipv6Loopback = BindAddress(uncheckedFamily: .ipv6, text: "::1")

    private init(uncheckedFamily family: Family, text: String) {
        self.family = family
        self.text = text
    }
}
