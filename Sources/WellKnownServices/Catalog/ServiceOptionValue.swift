/// The value of a service option, typed as its `ServiceOption.Kind` says.
public enum ServiceOptionValue: Sendable, Hashable {
    case text(String)
    case integer(Int)
    case list([String])
    /// A file the daemon read for the service: where it is (for messages) and what it holds.
    case file(path: String, contents: String)
}
