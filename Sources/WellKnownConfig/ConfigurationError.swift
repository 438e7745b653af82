/// A place in a configuration file. Line and column count from 1; 0 means "the file as a whole".
public struct SourceLocation: Sendable, Hashable, CustomStringConvertible {
    public var file: String
    public var line: Int
    public var column: Int

    public init(file: String, line: Int, column: Int) {
        self.file = file
        self.line = line
        self.column = column
    }

    public var description: String {
        self.line > 0 ? "\(self.file):\(self.line):\(self.column)" : self.file
    }
}

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

/// Every problem found in one configuration, in document order. A configuration with any is not used at all.
public struct ConfigurationErrors: Error, Sendable, Hashable, CustomStringConvertible {
    public var errors: [ConfigurationError]

    public init(_ errors: [ConfigurationError]) {
        self.errors = errors
    }

    public var description: String {
        self.errors.map(\.description).joined(separator: "\n")
    }
}
