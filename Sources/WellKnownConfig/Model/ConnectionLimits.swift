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
