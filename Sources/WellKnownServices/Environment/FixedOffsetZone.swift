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
