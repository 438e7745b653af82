/// How the probes run.
public struct ProbeOptions: Sendable {
    /// Each probe's deadline, from socket() to the end of the answer.
    public var timeout: Duration
    /// Probes per target; with more than one, a summary line follows.
    public var count: Int
    /// Bytes echo sends, chargen reads and discard sends (UDP: one datagram, up to 65507 bytes).
    public var size: Int
    /// Seconds a time (or a daytime line that gives its UTC offset) may be off the local clock.
    public var maxSkew: Double

    public init(timeout: Duration = .seconds(2), count: Int = 1, size: Int = 512, maxSkew: Double = 5) {
        self.timeout = timeout
        self.count = count
        self.size = size
        self.maxSkew = maxSkew
    }

    /// The largest UDP payload over IPv4.
    public static let maximumDatagram = 65507
}
