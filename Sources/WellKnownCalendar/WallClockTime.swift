/// A reading of the wall clock: seconds and nanoseconds since 1970-01-01T00:00:00Z.
public struct WallClockTime: Sendable, Hashable {
    public var secondsSinceEpoch: Int64
    public var nanoseconds: Int32

    public init(secondsSinceEpoch: Int64, nanoseconds: Int32 = 0) {
        self.secondsSinceEpoch = secondsSinceEpoch
        self.nanoseconds = nanoseconds
    }
}
