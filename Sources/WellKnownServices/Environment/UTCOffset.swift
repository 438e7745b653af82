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
