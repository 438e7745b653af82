/// The guard in front of every UDP service: which sources are refused outright, how many datagrams a source and
/// everyone together may have answered per second, and how much larger than its request a reply may be.
///
/// The defaults suit a test service that people poke with nc: a few dozen datagrams in a burst are answered, a
/// spoofed flood is not, and no reply is more than 64 bytes or the request's own size, whichever is larger.
public struct UDPGuardConfiguration: Sendable, Hashable {
    /// Source ports refused besides 0 and the daemon's own UDP ports (which are always refused, so two echo or
    /// chargen services can never be made to talk to each other, CVE-1999-0103).
    public var deniedSourcePorts: [Int]
    /// Datagrams answered per second for one source (an IPv4 address; an IPv6 /64), and the burst allowed.
    public var perSourceRate: Double
    public var perSourceBurst: Int
    /// Datagrams answered per second over all sources together, and the burst allowed.
    public var totalRate: Double
    public var totalBurst: Int
    /// A reply may be at most `replyFactor` × the request's size, or `replyFloor` bytes, whichever is larger;
    /// longer replies are cut (chargen's random length) to that size.
    public var replyFactor: Double
    public var replyFloor: Int
    /// How often a summary of dropped datagrams is logged, at most.
    public var dropLogInterval: Duration

    public init(
        deniedSourcePorts: [Int] = Self.defaultDeniedSourcePorts,
        perSourceRate: Double = 20,
        perSourceBurst: Int = 40,
        totalRate: Double = 2000,
        totalBurst: Int = 4000,
        replyFactor: Double = 1,
        replyFloor: Int = 64,
        dropLogInterval: Duration = .seconds(10)
    ) {
        self.deniedSourcePorts = deniedSourcePorts
        self.perSourceRate = perSourceRate
        self.perSourceBurst = perSourceBurst
        self.totalRate = totalRate
        self.totalBurst = totalBurst
        self.replyFactor = replyFactor
        self.replyFloor = replyFloor
        self.dropLogInterval = dropLogInterval
    }

    /// The well-known ports of services that answer UDP (echo, discard, daytime, qotd, chargen, time, DNS, NTP,
    /// SNMP, SSDP, memcached): datagrams "from" them are reflection or loop attempts.
    public static let defaultDeniedSourcePorts = [7, 9, 13, 17, 19, 37, 53, 123, 161, 1900, 11211]
}
