// What a service may learn from the outside world, injected so that handlers never read the
// system clock, the time zone database or a random device themselves (and tests can fix them).

import WellKnownCalendar

/// The wall clock. `now()` returns nil when the time is not known, which the time service answers with silence.
public struct WallClock: Sendable {
    private let read: @Sendable () -> WallClockTime?

    public init(_ read: @escaping @Sendable () -> WallClockTime?) {
        self.read = read
    }

    public func now() -> WallClockTime? {
        self.read()
    }

    /// A clock that always reads `time`: for tests and reproducible examples.
    public static func fixed(_ time: WallClockTime) -> WallClock {
        WallClock { time }
    }
}

/// An offset from UTC in force at some instant, with the abbreviation people write for it ("CET", "UTC").
public struct UTCOffset: Sendable, Hashable {
    public var seconds: Int
    public var abbreviation: String

    public init(seconds: Int, abbreviation: String) {
        self.seconds = seconds
        self.abbreviation = abbreviation
    }

    public static let utc = UTCOffset(seconds: 0, abbreviation: "UTC")
}

/// The rules of one time zone: which offset applies at a given instant.
public protocol TimeZoneRules: Sendable {
    func offset(atSecondsSinceEpoch seconds: Int64) -> UTCOffset
}

/// A zone whose offset never changes, UTC among them.
public struct FixedOffsetZone: TimeZoneRules {
    public let offset: UTCOffset

    public init(_ offset: UTCOffset) {
        self.offset = offset
    }

    public func offset(atSecondsSinceEpoch seconds: Int64) -> UTCOffset {
        self.offset
    }

    public static let utc = FixedOffsetZone(.utc)
}

/// A source of random integers. `system` draws from the operating system's generator.
public struct RandomSource: Sendable {
    private let draw: @Sendable (ClosedRange<Int>) -> Int

    public init(_ draw: @escaping @Sendable (ClosedRange<Int>) -> Int) {
        self.draw = draw
    }

    public func next(in range: ClosedRange<Int>) -> Int {
        self.draw(range)
    }

    public static let system = RandomSource { range in
        var generator = SystemRandomNumberGenerator()
        return Int.random(in: range, using: &generator)
    }
}

/// Everything a service's handlers may depend on besides the channel they run in.
public struct ServiceEnvironment: Sendable {
    public var clock: WallClock
    public var random: RandomSource
    /// Resolves a zone setting ("local", "UTC" or an IANA name such as "Europe/Paris"); nil for an unknown zone.
    public var timeZone: @Sendable (String) -> (any TimeZoneRules)?

    public init(
        clock: WallClock,
        random: RandomSource = .system,
        timeZone: @escaping @Sendable (String) -> (any TimeZoneRules)?
    ) {
        self.clock = clock
        self.random = random
        self.timeZone = timeZone
    }
}
