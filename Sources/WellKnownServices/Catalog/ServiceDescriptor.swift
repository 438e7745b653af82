/// A row of the service table: a name, the RFC it implements, its options, and how to build it.
public struct ServiceDescriptor: Sendable {
    public let name: String
    /// nil for a service of wellknownd's own (whoami).
    public let rfc: Int?
    /// The port assigned by IANA; wellknownd's shipped config uses 6000 + this. nil where there is none.
    public let wellKnownPort: Int?
    public let summary: String
    /// Whether the service answers datagrams too; false for a service of TCP connections only (tcpmux).
    public let datagrams: Bool
    public let options: [ServiceOption]
    private let configure: @Sendable (ServiceOptions, ServiceEnvironment) throws(ServiceOptionError) -> ServiceInstance

    public init(
        name: String,
        rfc: Int?,
        wellKnownPort: Int?,
        summary: String,
        datagrams: Bool = true,
        options: [ServiceOption] = [],
        configure:
            @escaping @Sendable (ServiceOptions, ServiceEnvironment) throws(ServiceOptionError) ->
            ServiceInstance
    ) {
        self.name = name
        self.rfc = rfc
        self.wellKnownPort = wellKnownPort
        self.summary = summary
        self.datagrams = datagrams
        self.options = options
        self.configure = configure
    }

    /// Builds the service with these option values. Values that do not fit an option's kind are rejected here too,
    /// so a caller that skipped the configuration loader still cannot build a service from nonsense.
    public func makeInstance(
        options: ServiceOptions,
        environment: ServiceEnvironment
    ) throws(ServiceOptionError) -> ServiceInstance {
        for (key, value) in options.values {
            guard let option = self.options.first(where: { $0.key == key }) else {
                throw ServiceOptionError(key: key, message: "\(self.name) has no option '\(key)'")
            }
            if let problem = option.kind.problem(with: value) {
                throw ServiceOptionError(key: key, message: problem)
            }
        }
        return try self.configure(options, environment)
    }
}
