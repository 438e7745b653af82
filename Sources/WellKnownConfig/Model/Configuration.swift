/// A validated configuration: which services to serve, where, and with which options.
public struct Configuration: Sendable, Hashable {
    /// The file it was read from, as named on the command line.
    public var source: String
    public var services: [ServiceEntry]
    /// How long open connections may run on after SIGTERM before they are closed.
    public var gracePeriod: Duration
    public var udpGuard: UDPGuardConfiguration
    public var limits: ConnectionLimits
    /// Who to serve as when started as root.
    public var runAs: RunAs
    /// The Prometheus endpoint; nil: none.
    public var metrics: MetricsConfiguration?

    public init(
        source: String,
        services: [ServiceEntry],
        gracePeriod: Duration = Self.defaultGracePeriod,
        udpGuard: UDPGuardConfiguration = UDPGuardConfiguration(),
        limits: ConnectionLimits = ConnectionLimits(),
        runAs: RunAs = RunAs(),
        metrics: MetricsConfiguration? = nil
    ) {
        self.source = source
        self.services = services
        self.gracePeriod = gracePeriod
        self.udpGuard = udpGuard
        self.limits = limits
        self.runAs = runAs
        self.metrics = metrics
    }

    public static let defaultGracePeriod: Duration = .seconds(5)
    /// Where entries without `bind:` listen when the file names no default: loopback only, so that nothing is
    /// reachable from the network until the configuration says so.
    public static let defaultBindAddresses: [BindAddress] = [.ipv4Loopback, .ipv6Loopback]
}
