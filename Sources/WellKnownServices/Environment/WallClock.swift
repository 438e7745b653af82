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
