// tcpmux, RFC 1078: one port in front of many services. The client sends a service name and CRLF (names are
// case-insensitive); the answer is `+` and CRLF, after which the connection is that service, or `-`, a reason,
// CRLF and a close. `HELP` lists the names offered, one per line, then closes. TCP only. The name line is the
// only input read here: at most 256 bytes, and it must arrive within `name-timeout`, or the client gets `-` and
// a close; nothing else is ever buffered.
import NIOCore

extension ServiceDescriptor {
    public static let tcpmux = ServiceDescriptor(
        name: "tcpmux",
        rfc: 1078,
        wellKnownPort: 1,
        summary: "hands a connection to the service it names",
        datagrams: false,
        options: [.tcpmuxServices, .tcpmuxNameTimeout]
    ) { options, environment throws(ServiceOptionError) in
        let offered = ServiceCatalog.all.filter { $0.name != "tcpmux" }.map(\.name)
        let names = options.list(of: .tcpmuxServices) ?? offered
        var services: [(name: String, instance: ServiceInstance)] = []
        for name in names {
            guard name != "tcpmux", let descriptor = ServiceCatalog.descriptor(named: name.lowercased()) else {
                throw ServiceOptionError(
                    key: "services",
                    message:
                        "'\(name)' is not a service tcpmux can hand out (one of \(offered.joined(separator: ", ")))"
                )
            }
            services.append(
                (descriptor.name, try descriptor.makeInstance(options: ServiceOptions(), environment: environment))
            )
        }
        let timeout = TimeAmount.seconds(Int64(options.integer(of: .tcpmuxNameTimeout) ?? 30))
        let table = TCPMuxTable(services: services)
        return ServiceInstance(
            name: "tcpmux",
            stream: { [TCPMuxHandler(table: table, nameTimeout: timeout)] }
        )
    }
}

extension ServiceOption {
    public static let tcpmuxServices = ServiceOption(
        key: "services",
        summary: "the built-ins tcpmux hands out (every other one by default), each with its default options",
        kind: .list,
        defaultValue: nil
    )

    public static let tcpmuxNameTimeout = ServiceOption(
        key: "name-timeout",
        summary: "seconds the client has to send the service name line (1...3600)",
        kind: .integer(1...3600),
        defaultValue: .integer(30)
    )
}

/// The services a tcpmux entry offers, by lower-case name, in the order `HELP` lists them.
public struct TCPMuxTable: Sendable {
    public let services: [(name: String, instance: ServiceInstance)]

    public init(services: [(name: String, instance: ServiceInstance)]) {
        self.services = services
    }

    public func instance(named name: String) -> ServiceInstance? {
        self.services.first { $0.name == name.lowercased() }?.instance
    }
}

/// Sent towards the head of the pipeline when tcpmux hands the connection over, so that the connection's record
/// can name the service it became.
public struct TCPMuxSelection: Sendable, Hashable {
    public let service: String
}

/// What a name line asks for.
public enum TCPMuxRequest: Sendable, Hashable {
    case help
    case service(String)
    /// Not a name at all (empty, or with control characters): refused like an unknown one.
    case invalid

    /// RFC 1078 names are words; they are compared case-insensitively. `line` is without its CRLF.
    public init(line: some Collection<UInt8>) {
        let text = String(Substring(String(decoding: line, as: UTF8.self)).trimmingBlanks)
        guard !text.isEmpty, text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else {
            self = .invalid
            return
        }
        self = text.lowercased() == "help" ? .help : .service(text.lowercased())
    }
}

/// Reads the name line, then either answers (`-…`, `HELP`) and closes, or answers `+` and puts the named service's
/// handlers in its own place, passing on any bytes that came after the line.
public final class TCPMuxHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = ByteBuffer
    public typealias InboundOut = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// RFC 1078 sets no limit; a name is a word. The line, CRLF included, may not be longer.
    public static let maximumLineLength = 256

    private let table: TCPMuxTable
    private let nameTimeout: TimeAmount
    private var line: ByteBuffer?
    private var timer: Scheduled<Void>?
    private var answered = false

    public init(table: TCPMuxTable, nameTimeout: TimeAmount) {
        self.table = table
        self.nameTimeout = nameTimeout
    }

    /// Bytes held while waiting for the end of the name line: never more than `maximumLineLength`.
    public var bufferedBytes: Int { self.line?.readableBytes ?? 0 }

    public func channelActive(context: ChannelHandlerContext) {
        self.timer = context.eventLoop.assumeIsolated().scheduleTask(in: self.nameTimeout) {
            self.refuse(context: context, reason: "-Timed out waiting for a service name")
        }
        // The named service gets its own channelActive once it is in place.
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.answered else { return }
        var incoming = self.unwrapInboundIn(data)
        if self.line == nil {
            self.line = context.channel.allocator.buffer(capacity: 64)
        }
        // Take at most what still fits in a line; anything beyond the newline is the service's.
        let room = Self.maximumLineLength - self.bufferedBytes
        let window = incoming.readableBytesView.prefix(room)
        guard let newline = window.firstIndex(of: UInt8(ascii: "\n")) else {
            guard incoming.readableBytes < room else {
                self.refuse(context: context, reason: "-Service name too long")
                return
            }
            self.line?.writeBuffer(&incoming)
            return
        }
        let length = newline - incoming.readerIndex
        if var head = incoming.readSlice(length: length) {
            self.line?.writeBuffer(&head)
        }
        incoming.moveReaderIndex(forwardBy: 1)  // the newline
        var bytes = self.line.map { Array($0.readableBytesView) } ?? []
        if bytes.last == UInt8(ascii: "\r") { bytes.removeLast() }
        self.line = nil
        self.answer(TCPMuxRequest(line: bytes), context: context, rest: incoming)
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if !self.answered, case .some(ChannelEvent.inputClosed) = event as? ChannelEvent {
            self.refuse(context: context, reason: "-No service name before the end of input")
        }
        context.fireUserInboundEventTriggered(event)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.timer?.cancel()
        context.fireChannelInactive()
    }

    private func answer(_ request: TCPMuxRequest, context: ChannelHandlerContext, rest: ByteBuffer) {
        switch request {
        case .help:
            self.finish(context: context, reply: self.table.services.map { "\($0.name)\r\n" }.joined())
        case .invalid:
            self.refuse(context: context, reason: "-Not a service name")
        case .service(let name):
            guard let instance = self.table.instance(named: name) else {
                self.refuse(context: context, reason: "-Service not available")
                return
            }
            self.hand(to: name, instance: instance, context: context, rest: rest)
        }
    }

    private func hand(to name: String, instance: ServiceInstance, context: ChannelHandlerContext, rest: ByteBuffer) {
        self.answered = true
        self.timer?.cancel()
        context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(string: "+\r\n")), promise: nil)
        do {
            try context.pipeline.syncOperations.addHandlers(instance.makeStreamHandlers(), position: .after(self))
        } catch {
            context.fireErrorCaught(error)
            return
        }
        context.triggerUserOutboundEvent(TCPMuxSelection(service: name), promise: nil)
        // The service starts as if the connection had just opened, and gets what followed the name line.
        context.fireChannelActive()
        if rest.readableBytes > 0 {
            context.fireChannelRead(self.wrapInboundOut(rest))
            context.fireChannelReadComplete()
        }
        context.pipeline.syncOperations.removeHandler(context: context, promise: nil)
    }

    private func refuse(context: ChannelHandlerContext, reason: String) {
        self.finish(context: context, reply: reason + "\r\n")
    }

    private func finish(context: ChannelHandlerContext, reply: String) {
        guard !self.answered else { return }
        self.answered = true
        self.timer?.cancel()
        self.line = nil
        context.writeAndFlushThenClose(self.wrapOutboundOut(context.channel.allocator.buffer(string: reply)))
    }
}
