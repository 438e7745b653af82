/// One setting a service accepts in the configuration, next to `service:` and `port:`. Its key must differ from
/// every key of an entry (`port`, `bind`, `max-connections`, …), which a test of the catalog checks.
public struct ServiceOption: Sendable, Hashable {
    /// What the option's value is; the configuration loader checks it and hands it over typed.
    public enum Kind: Sendable, Hashable {
        /// One of these words.
        case choice([String])
        /// Any single value, as text; the service judges it when it is configured (a time zone name).
        case text
        /// A whole number in this range.
        case integer(ClosedRange<Int>)
        /// A list of words; one word alone is a list of one.
        case list
        /// A text file of at most `maximumSize` bytes, named by its absolute path. The daemon reads it (services
        /// never read files) and the service gets its contents; read again on every reload.
        case file(maximumSize: Int)

        /// Why `value` does not fit this kind, or nil if it does.
        public func problem(with value: ServiceOptionValue) -> String? {
            switch (self, value) {
            case (.choice(let allowed), .text(let text)):
                return allowed.contains(text) ? nil : "'\(text)' is not one of \(allowed.joined(separator: ", "))"
            case (.text, .text), (.list, .list), (.file, .file):
                return nil
            case (.integer(let range), .integer(let number)):
                return range.contains(number) ? nil : "\(number) is outside \(range.lowerBound)...\(range.upperBound)"
            default:
                return "expected \(self.summary)"
            }
        }

        /// `a whole number 1...512`, for messages.
        public var summary: String {
            switch self {
            case .choice(let allowed): return "one of \(allowed.joined(separator: ", "))"
            case .text: return "a single value"
            case .integer(let range): return "a whole number \(range.lowerBound)...\(range.upperBound)"
            case .list: return "a list"
            case .file: return "the absolute path of a file"
            }
        }
    }

    public let key: String
    public let summary: String
    public let kind: Kind
    /// The value when the entry gives none; nil for an option whose absence means something of its own.
    public let defaultValue: ServiceOptionValue?

    public init(key: String, summary: String, kind: Kind, defaultValue: ServiceOptionValue?) {
        self.key = key
        self.summary = summary
        self.kind = kind
        self.defaultValue = defaultValue
    }

    /// A text option: one of `allowedValues`, or any value (the service judges it) when nil.
    public init(key: String, summary: String, allowedValues: [String]?, defaultValue: String) {
        self.init(
            key: key,
            summary: summary,
            kind: allowedValues.map { .choice($0) } ?? .text,
            defaultValue: .text(defaultValue)
        )
    }
}
