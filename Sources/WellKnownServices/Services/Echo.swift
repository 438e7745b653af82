// echo, RFC 862: "send back any data received". TCP returns every byte in order until the client closes; when
// the client shuts its write side we flush what is left and close. UDP returns each datagram whole, up to the
// 65507 bytes an IPv4 datagram can carry (the daemon's receive buffer must be at least that large).
import NIOCore

extension ServiceDescriptor {
    public static let echo = ServiceDescriptor(
        name: "echo",
        rfc: 862,
        wellKnownPort: 7,
        summary: "returns every byte it receives"
    ) { _, _ in
        ServiceInstance(
            name: "echo",
            stream: { [EchoStreamHandler()] },
            datagram: { EchoReply() }
        )
    }
}

/// TCP echo. Writes each read at once and flushes once per read burst, and stops reading while the peer is not
/// reading our replies: a client that sends without reading cannot make us buffer its data.
///
/// The back-pressure is NIOCore's `BackPressureHandler`, done here instead of in a handler of its own in front:
/// every read, write, flush and `read()` of a connection crosses each handler in the pipeline, and that one hop
/// was a measurable part of a ping-pong round trip's instructions (bench/PROFILES.md has the figures).
public final class EchoStreamHandler: ChannelDuplexHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundIn = NIOAny
    public typealias OutboundOut = ByteBuffer

    private var closing = false
    /// A `read()` held back while our replies could not be written.
    private var pendingRead = false
    private var writable = true

    public init() {}

    public func read(context: ChannelHandlerContext) {
        if self.writable {
            context.read()
        } else {
            self.pendingRead = true
        }
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        self.writable = context.channel.isWritable
        if self.writable {
            self.readIfHeld(context: context)
        } else {
            // What is written but not flushed could otherwise wait for a read-complete that never comes.
            context.flush()
        }
        context.fireChannelWritabilityChanged()
    }

    public func handlerRemoved(context: ChannelHandlerContext) {
        self.readIfHeld(context: context)
    }

    private func readIfHeld(context: ChannelHandlerContext) {
        if self.pendingRead {
            self.pendingRead = false
            context.read()
        }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        context.write(data, promise: nil)
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        context.fireChannelReadComplete()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(ChannelEvent.inputClosed) = event as? ChannelEvent, !self.closing {
            // Half-close: the client has sent everything; it gets the rest of its bytes back, then the close.
            self.closing = true
            context.writeAndFlushThenClose(self.wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)))
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// UDP echo: the reply is the request, not a copy of it.
public struct EchoReply: ReplyProducer {
    public init() {}

    public mutating func reply(to request: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer? {
        request
    }
}
