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
