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
