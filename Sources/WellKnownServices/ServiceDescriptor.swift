import NIOCore

/// One setting a service accepts in the configuration, next to `service:` and `port:`.
public struct ServiceOption: Sendable, Hashable {
    public let key: String
    public let summary: String
    /// The accepted values, or nil where the service checks a free-form value itself when configured.
    public let allowedValues: [String]?
    public let defaultValue: String

    public init(key: String, summary: String, allowedValues: [String]?, defaultValue: String) {
        self.key = key
        self.summary = summary
        self.allowedValues = allowedValues
        self.defaultValue = defaultValue
    }
}

/// A bad option value found when a service is configured (for example a time zone the system does not know).
public struct ServiceOptionError: Error, Sendable, Hashable {
    public let key: String
    public let message: String

    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }
}

/// The option values given for one configured service; absent keys read as the option's default.
public struct ServiceOptions: Sendable, Hashable {
    public var values: [String: String]

    public init(_ values: [String: String] = [:]) {
        self.values = values
    }
}

/// A service ready to serve: it makes fresh handlers for every TCP connection and every UDP socket.
///
/// The factories run on the channel's event loop, inside the channel initializer; handlers are never shared.
/// Datagram handlers are removable: a reload swaps them on a UDP socket that stays open.
public struct ServiceInstance: Sendable {
    public let name: String
    private let stream: @Sendable () -> [any ChannelHandler]
    private let datagram: @Sendable () -> [any RemovableChannelHandler]
    /// For a service whose TCP side sends one reply as soon as a client connects and then closes, input unread
    /// (daytime, time): that reply, or nil to close without one. The daemon may send it straight from the accepted
    /// socket, without building the connection's pipeline; the stream handlers must do exactly the same. nil for
    /// every other service. `.singleReply` keeps the two in step.
    public let replyOnConnect: (@Sendable (ByteBufferAllocator) -> ByteBuffer?)?

    public init(
        name: String,
        stream: @escaping @Sendable () -> [any ChannelHandler],
        datagram: @escaping @Sendable () -> [any RemovableChannelHandler],
        replyOnConnect: (@Sendable (ByteBufferAllocator) -> ByteBuffer?)? = nil
    ) {
        self.name = name
        self.stream = stream
        self.datagram = datagram
        self.replyOnConnect = replyOnConnect
    }

    /// A service that answers once: a TCP client on connect (then the connection closes), a UDP client for every
    /// datagram. The same producer serves the stream handler, the datagram handler and `replyOnConnect`.
    public static func singleReply<Producer: ReplyProducer & Sendable>(
        name: String,
        _ producer: Producer
    ) -> ServiceInstance {
        ServiceInstance(
            name: name,
            stream: { [SingleReplyStreamHandler(producer)] },
            datagram: { [DatagramReplyHandler(producer)] },
            replyOnConnect: { allocator in
                var producer = producer
                return producer.reply(to: ByteBuffer(), allocator: allocator)
            }
        )
    }

    /// Handlers for one accepted TCP connection (`InboundIn == ByteBuffer`).
    public func makeStreamHandlers() -> [any ChannelHandler] {
        self.stream()
    }

    /// Handlers for one UDP socket (`InboundIn == AddressedEnvelope<ByteBuffer>`).
    public func makeDatagramHandlers() -> [any RemovableChannelHandler] {
        self.datagram()
    }
}

/// A row of the service table: a name, the RFC it implements, its options, and how to build it.
public struct ServiceDescriptor: Sendable {
    public let name: String
    public let rfc: Int
    /// The port assigned by IANA; wellknownd's shipped config uses 6000 + this.
    public let wellKnownPort: Int
    public let summary: String
    public let options: [ServiceOption]
    private let configure: @Sendable (ServiceOptions, ServiceEnvironment) throws(ServiceOptionError) -> ServiceInstance

    public init(
        name: String,
        rfc: Int,
        wellKnownPort: Int,
        summary: String,
        options: [ServiceOption] = [],
        configure:
            @escaping @Sendable (ServiceOptions, ServiceEnvironment) throws(ServiceOptionError) ->
            ServiceInstance
    ) {
        self.name = name
        self.rfc = rfc
        self.wellKnownPort = wellKnownPort
        self.summary = summary
        self.options = options
        self.configure = configure
    }

    /// Builds the service with these option values. Values outside `allowedValues` are rejected here too, so a
    /// caller that skipped the configuration loader still cannot build a service from nonsense.
    public func makeInstance(
        options: ServiceOptions,
        environment: ServiceEnvironment
    ) throws(ServiceOptionError) -> ServiceInstance {
        for (key, value) in options.values {
            guard let option = self.options.first(where: { $0.key == key }) else {
                throw ServiceOptionError(key: key, message: "\(self.name) has no option '\(key)'")
            }
            if let allowed = option.allowedValues, !allowed.contains(value) {
                let list = allowed.joined(separator: ", ")
                throw ServiceOptionError(key: key, message: "'\(value)' is not one of \(list)")
            }
        }
        return try self.configure(options, environment)
    }
}

extension ServiceOptions {
    /// The value given for `option`, or its default.
    public func value(of option: ServiceOption) -> String {
        self.values[option.key] ?? option.defaultValue
    }
}
