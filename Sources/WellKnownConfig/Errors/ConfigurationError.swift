/// One problem in a configuration, printed as `FILE:LINE:COLUMN: key.path: message`.
public struct ConfigurationError: Error, Sendable, Hashable, CustomStringConvertible {
    public var location: SourceLocation
    /// Where in the document: `services[2].port`; `syntax` for YAML that does not parse.
    public var keyPath: String
    public var message: String

    public init(location: SourceLocation, keyPath: String, message: String) {
        self.location = location
        self.keyPath = keyPath
        self.message = message
    }

    public var description: String {
        self.keyPath.isEmpty
            ? "\(self.location): \(self.message)" : "\(self.location): \(self.keyPath): \(self.message)"
    }
}
