/// A service option as written in an entry (`format: rfc3339`, `services: [echo, daytime]`), typed by the schema,
/// with where it was written.
public struct EntryOption: Sendable, Hashable {
    public enum Value: Sendable, Hashable {
        case text(String)
        case integer(Int)
        case list([String])
        /// An absolute file path (`ConfigurationSchema.OptionKind.file`).
        case file(String)
    }

    public var value: Value
    public var location: SourceLocation

    public init(_ value: Value, location: SourceLocation) {
        self.value = value
        self.location = location
    }
}
