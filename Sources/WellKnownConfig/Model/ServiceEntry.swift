/// One entry of `services:`.
public struct ServiceEntry: Sendable, Hashable {
    /// Position in the `services` list, from 0.
    public var index: Int
    public var service: String
    /// The port of an IP entry; nil for an AF_UNIX entry.
    public var port: Int?
    /// The socket path of an AF_UNIX entry (`tcp` is a stream socket, `udp` a datagram socket); nil for IP.
    public var path: String?
    public var transports: [Transport]
    public var addresses: [BindAddress]
    /// Bounds on each TCP connection of this entry.
    public var bounds: StreamBounds
    /// Open TCP connections of this entry at most; nil for no limit of its own.
    public var maximumConnections: Int?
    /// Who may use this entry: the file's `allow`/`deny` with the entry's own.
    public var access: AccessPolicy
    /// Service-specific settings (daytime `format`, chargen `udp-mode`, …), typed, with where each was written.
    public var options: [String: EntryOption]
    /// Where the entry starts.
    public var location: SourceLocation

    public init(
        index: Int,
        service: String,
        port: Int?,
        path: String? = nil,
        transports: [Transport] = Transport.allCases,
        addresses: [BindAddress] = Configuration.defaultBindAddresses,
        bounds: StreamBounds = StreamBounds(),
        maximumConnections: Int? = nil,
        access: AccessPolicy = .everyone,
        options: [String: EntryOption] = [:],
        location: SourceLocation
    ) {
        self.index = index
        self.service = service
        self.port = port
        self.path = path
        self.transports = transports
        self.addresses = addresses
        self.bounds = bounds
        self.maximumConnections = maximumConnections
        self.access = access
        self.options = options
        self.location = location
    }

    public var keyPath: String { "services[\(self.index)]" }
}
