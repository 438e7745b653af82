/// What the loader must know about the services: their names and options. The daemon builds it from the service
/// table, so this module needs no knowledge of any particular service.
public struct ConfigurationSchema: Sendable {
    public struct Service: Sendable {
        public var name: String
        /// Option key → what its value must be.
        public var options: [String: OptionKind]
        /// The transports the service speaks (tcpmux: TCP only); an entry without `transport:` gets these.
        public var transports: [Transport]

        public init(name: String, options: [String: OptionKind], transports: [Transport] = Transport.allCases) {
            self.name = name
            self.options = options
            self.transports = transports
        }
    }

    /// What a service option's value must be; the loader checks it and gives the value its type.
    public enum OptionKind: Sendable, Hashable {
        /// One of these words.
        case choice([String])
        /// Any single value, as text; the service judges it when it is configured (a time zone name).
        case text
        /// A whole number in this range.
        case integer(ClosedRange<Int>)
        /// A list of words; one word alone is a list of one.
        case list
        /// The absolute path of a file, which the daemon reads when it configures the service.
        case file
    }

    public var services: [Service]

    public init(services: [Service]) {
        self.services = services
    }
}
