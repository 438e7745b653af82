/// Where in the imported files something was found: `FILE:LINE`.
public struct ImportLocation: Sendable, Hashable, CustomStringConvertible {
    public let file: String
    public let line: Int

    public var description: String { "\(self.file):\(self.line)" }
}

/// What could not be carried over (a comment in the output and a line on stderr), or a fault in the input that
/// stops the import (exit 65, no output).
public struct ImportIssue: Error, Sendable, Hashable, CustomStringConvertible {
    public let location: ImportLocation?
    public let message: String

    public init(_ location: ImportLocation?, _ message: String) {
        self.location = location
        self.message = message
    }

    public var description: String { (self.location.map { "\($0): " } ?? "") + self.message }
}
