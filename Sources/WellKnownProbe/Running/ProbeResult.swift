/// One probe: what was asked, the socket pair the client saw, how long the exchange took, and the verdict.
public struct ProbeResult: Sendable, Equatable {
    public let target: ProbeTarget
    /// The address used (the one that answered, of those HOST resolved to).
    public let address: String
    public let local: String
    public let remote: String
    /// From connect() (TCP) or send() (UDP) to the end of the answer; nil when nothing came.
    public let roundTrip: Duration?
    public let verdict: Verdict

    public init(
        target: ProbeTarget,
        address: String,
        local: String,
        remote: String,
        roundTrip: Duration?,
        verdict: Verdict
    ) {
        self.target = target
        self.address = address
        self.local = local
        self.remote = remote
        self.roundTrip = roundTrip
        self.verdict = verdict
    }

    var milliseconds: Double? {
        self.roundTrip.map { Double($0.components.seconds) * 1000 + Double($0.components.attoseconds) / 1e15 }
    }
}
