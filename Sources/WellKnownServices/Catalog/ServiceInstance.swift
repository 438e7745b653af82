import NIOCore

/// A service ready to serve: it makes fresh handlers for every TCP connection and every UDP socket.
///
/// The stream factory runs on the channel's event loop, inside the channel initializer; handlers are never shared.
/// The datagram side is a `DatagramResponder`, one per UDP socket, made again when a reload changes what the socket
/// serves.
public struct ServiceInstance: Sendable {
    public let name: String
    private let stream: @Sendable () -> [any ChannelHandler]
    private let datagram: (@Sendable () -> any DatagramResponder)?
    /// For a service whose TCP side sends one reply as soon as a client connects and then closes, input unread
    /// (daytime, time): that reply, or nil to close without one. The daemon may send it straight from the accepted
    /// socket, without building the connection's pipeline; the stream handlers must do exactly the same. nil for
    /// every other service. `.singleReply` keeps the two in step.
    public let replyOnConnect: (@Sendable (ByteBufferAllocator) -> ByteBuffer?)?
    /// Whether a UDP reply is one whole message (a quote, a line, a socket pair) that must not be cut: the UDP
    /// guard's reply cap drops such a reply instead of cutting it. Chargen's random-length replies may be cut.
    public let wholeDatagramReplies: Bool

    public init(
        name: String,
        stream: @escaping @Sendable () -> [any ChannelHandler],
        datagram: (@Sendable () -> any DatagramResponder)? = nil,
        replyOnConnect: (@Sendable (ByteBufferAllocator) -> ByteBuffer?)? = nil,
        wholeDatagramReplies: Bool = false
    ) {
        self.name = name
        self.stream = stream
        self.datagram = datagram
        self.replyOnConnect = replyOnConnect
        self.wholeDatagramReplies = wholeDatagramReplies
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
            datagram: { producer },
            replyOnConnect: { allocator in
                var producer = producer
                return producer.reply(to: ByteBuffer(), allocator: allocator)
            },
            wholeDatagramReplies: true
        )
    }

    /// Handlers for one accepted TCP connection (`InboundIn == ByteBuffer`).
    public func makeStreamHandlers() -> [any ChannelHandler] {
        self.stream()
    }

    /// What answers the datagrams of one UDP socket; nil for a service that has no UDP side.
    public func makeDatagramResponder() -> (any DatagramResponder)? {
        self.datagram?()
    }

    /// Handlers for one UDP socket served through a NIO channel (`InboundIn == AddressedEnvelope<ByteBuffer>`).
    public func makeDatagramHandlers() -> [any RemovableChannelHandler] {
        self.makeDatagramResponder().map { [DatagramReplyHandler($0)] } ?? []
    }
}
