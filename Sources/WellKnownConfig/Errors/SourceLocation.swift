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
