/// The Prometheus endpoint (`metrics:`), off unless the file has the section. It listens on loopback unless told
/// otherwise: what it tells (every service, port and client count) is for the operator, not for the network.
public struct MetricsConfiguration: Sendable, Hashable {
    public var addresses: [BindAddress]
    /// 0: a port the kernel picks, logged when it is bound.
    public var port: Int
    /// The one path answered (`GET` and `HEAD`); every other path is a 404.
    public var path: String
    /// Scrape connections open at once, over all sources, and from one source (an IPv4 address; an IPv6 /64):
    /// a client that stalls from one address cannot take every place.
    public var maximumConnections: Int
    public var perSourceConnections: Int
    /// How long a connection may take to send its request and read the answer.
    public var timeout: Duration

    public init(
        addresses: [BindAddress] = Configuration.defaultBindAddresses,
        port: Int,
        path: String = Self.defaultPath,
        maximumConnections: Int = 16,
        perSourceConnections: Int = 4,
        timeout: Duration = .seconds(10)
    ) {
        self.addresses = addresses
        self.port = port
        self.path = path
        self.maximumConnections = maximumConnections
        self.perSourceConnections = perSourceConnections
        self.timeout = timeout
    }

    public static let defaultPath = "/metrics"
    /// The longest `path:`; a request line is bounded anyway (8 KiB with its headers).
    public static let maximumPathLength = 256

    /// The endpoint's sockets, as the overlap check sees them.
    public var listenAddresses: [ListenAddress] {
        self.addresses.map { .ip($0, port: self.port) }
    }
}
