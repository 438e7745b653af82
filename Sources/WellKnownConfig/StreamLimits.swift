/// Bounds on one TCP connection of a service. nil: no bound.
///
/// The defaults stop abuse without bothering a human at a telnet prompt: five idle minutes, an hour in all,
/// a GiB each way.
public struct StreamBounds: Sendable, Hashable {
    /// Closed after this long with no byte either way.
    public var idleTimeout: Duration?
    /// Closed after this long whatever happens.
    public var maximumLifetime: Duration?
    /// Closed once the service has sent this many bytes (chargen, echo).
    public var maximumBytesOut: Int?
    /// Closed once the client has sent this many bytes (echo, discard).
    public var maximumBytesIn: Int?

    public init(
        idleTimeout: Duration? = .seconds(300),
        maximumLifetime: Duration? = .seconds(3600),
        maximumBytesOut: Int? = 1 << 30,
        maximumBytesIn: Int? = 1 << 30
    ) {
        self.idleTimeout = idleTimeout
        self.maximumLifetime = maximumLifetime
        self.maximumBytesOut = maximumBytesOut
        self.maximumBytesIn = maximumBytesIn
    }
}

/// Limits on TCP connections across services. Over-limit connections are closed at once, before any byte is sent.
public struct ConnectionLimits: Sendable, Hashable {
    /// Open connections over all services.
    public var connections: Int
    /// Open connections from one source (an IPv4 address; an IPv6 /64).
    public var perSourceConnections: Int
    /// New connections a second from one source, in a token bucket that catches bursts (xinetd's `cps` averages
    /// them away), and the burst allowed.
    public var perSourceAcceptRate: Double
    public var perSourceAcceptBurst: Int
    /// How often a summary of refused connections is logged, at most.
    public var refusalLogInterval: Duration

    public init(
        connections: Int = 4096,
        perSourceConnections: Int = 64,
        perSourceAcceptRate: Double = 50,
        perSourceAcceptBurst: Int = 100,
        refusalLogInterval: Duration = .seconds(10)
    ) {
        self.connections = connections
        self.perSourceConnections = perSourceConnections
        self.perSourceAcceptRate = perSourceAcceptRate
        self.perSourceAcceptBurst = perSourceAcceptBurst
        self.refusalLogInterval = refusalLogInterval
    }
}
