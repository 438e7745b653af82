/// An IPv4 or IPv6 network in CIDR notation (`10.0.0.0/8`, `2001:db8::/32`); a bare address is a /32 or /128.
public struct CIDRBlock: Sendable, Hashable, CustomStringConvertible {
    public let family: BindAddress.Family
    /// The network's address bytes (4 or 16), host bits cleared.
    public let network: [UInt8]
    public let prefixLength: Int

    public init?(_ text: String) {
        let parts = text.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count <= 2, let address = BindAddress(String(parts[0])),
            let bytes = IPAddressLiteral.bytes(address.text)
        else { return nil }
        let maximum = bytes.count * 8
        var length = maximum
        if parts.count == 2 {
            guard let given = Int(parts[1]), (0...maximum).contains(given), parts[1].allSatisfy(\.isNumber) else {
                return nil
            }
            length = given
        }
        self.family = address.family
        self.prefixLength = length
        self.network = Self.mask(bytes, length)
    }

    /// Whether `address` (4 or 16 bytes, IPv4-mapped IPv6 already unmapped) lies in this network.
    public func contains(_ address: [UInt8]) -> Bool {
        address.count == self.network.count && Self.mask(address, self.prefixLength) == self.network
    }

    public var description: String {
        let text = IPAddressLiteral.text(self.network) ?? "?"
        return "\(text)/\(self.prefixLength)"
    }

    private static func mask(_ bytes: [UInt8], _ length: Int) -> [UInt8] {
        bytes.enumerated().map { index, byte in
            let bits = min(8, max(0, length - index * 8))
            return bits == 8 ? byte : byte & ~(0xFF >> bits)
        }
    }
}

/// Who may use a service: refused if the source is in a `deny` network, or if there is an `allow` list and the
/// source is in none of its networks. The daemon checks it before any byte is sent or any datagram answered.
public struct AccessPolicy: Sendable, Hashable {
    /// nil: everyone not denied.
    public var allow: [CIDRBlock]?
    public var deny: [CIDRBlock]

    public init(allow: [CIDRBlock]? = nil, deny: [CIDRBlock] = []) {
        self.allow = allow
        self.deny = deny
    }

    public static let everyone = AccessPolicy()

    /// No allow list and nothing denied: no source needs to be looked at.
    public var admitsEveryone: Bool { self.allow == nil && self.deny.isEmpty }

    /// `address`: 4 bytes for IPv4 (and IPv4-mapped IPv6), 16 for IPv6.
    public func permits(_ address: [UInt8]) -> Bool {
        if self.deny.contains(where: { $0.contains(address) }) { return false }
        guard let allow = self.allow else { return true }
        return allow.contains { $0.contains(address) }
    }

    /// An entry's policy within the file's: the deny lists add up; the entry's allow list, if it has one, replaces
    /// the file's.
    public func narrowed(allow: [CIDRBlock]?, deny: [CIDRBlock]) -> AccessPolicy {
        AccessPolicy(allow: allow ?? self.allow, deny: self.deny + deny)
    }
}
