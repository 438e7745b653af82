/// The option values given for one configured service; absent keys read as the option's default.
public struct ServiceOptions: Sendable, Hashable {
    public var values: [String: ServiceOptionValue]

    public init(_ values: [String: ServiceOptionValue] = [:]) {
        self.values = values
    }

    /// Text values only (`["format": "rfc3339"]`), as tests and examples give them.
    public init(text values: [String: String]) {
        self.values = values.mapValues { .text($0) }
    }

    /// The text given for `option`, or its default; "" for an option of another kind.
    public func value(of option: ServiceOption) -> String {
        guard case .text(let text)? = self.values[option.key] ?? option.defaultValue else { return "" }
        return text
    }

    /// The whole number given for `option`, or its default.
    public func integer(of option: ServiceOption) -> Int? {
        guard case .integer(let number)? = self.values[option.key] ?? option.defaultValue else { return nil }
        return number
    }

    /// The list given for `option`, or its default.
    public func list(of option: ServiceOption) -> [String]? {
        guard case .list(let words)? = self.values[option.key] ?? option.defaultValue else { return nil }
        return words
    }

    /// The file given for `option` (its path and contents), or its default.
    public func file(of option: ServiceOption) -> (path: String, contents: String)? {
        guard case .file(let path, let contents)? = self.values[option.key] ?? option.defaultValue else { return nil }
        return (path, contents)
    }
}
