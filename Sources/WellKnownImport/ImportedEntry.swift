/// One listener of the old configuration that becomes (part of) a wellknownd entry.
public struct ImportedEntry: Sendable, Hashable {
    public enum Transport: String, Sendable, Hashable, Comparable {
        case tcp, udp
        public static func < (a: Self, b: Self) -> Bool { a.rawValue < b.rawValue }
    }

    public var service: String
    public var transport: Transport
    public var port: Int
    /// Numeric addresses; "0.0.0.0" and "::" for every interface.
    public var addresses: [String]
    public var allow: [String] = []
    public var deny: [String] = []
    public var maximumConnections: Int?
    public var location: ImportLocation
    /// Set when a TCP and a UDP listener of the same were merged.
    public var bothTransports = false
}
