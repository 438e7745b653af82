// What a service may learn from the outside world, injected so that handlers never read the
// system clock, the time zone database or a random device themselves (and tests can fix them).

/// Everything a service's handlers may depend on besides the channel they run in.
public struct ServiceEnvironment: Sendable {
    public var clock: WallClock
    public var random: RandomSource
    /// Resolves a zone setting ("local", "UTC" or an IANA name such as "Europe/Paris"); nil for an unknown zone.
    public var timeZone: @Sendable (String) -> (any TimeZoneRules)?
    /// Who owns a connection of this host (ident).
    public var connectionOwners: ConnectionOwners

    public init(
        clock: WallClock,
        random: RandomSource = .system,
        connectionOwners: ConnectionOwners = .none,
        timeZone: @escaping @Sendable (String) -> (any TimeZoneRules)?
    ) {
        self.clock = clock
        self.random = random
        self.connectionOwners = connectionOwners
        self.timeZone = timeZone
    }
}
