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
