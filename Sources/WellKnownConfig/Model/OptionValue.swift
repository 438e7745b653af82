/// A single value of the file with where it was written (`user:`, `group:`).
public struct OptionValue: Sendable, Hashable {
    public var value: String
    public var location: SourceLocation

    public init(_ value: String, location: SourceLocation) {
        self.value = value
        self.location = location
    }
}
