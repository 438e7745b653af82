// discard, RFC 863: "simply throw away any data received". TCP reads until the client closes, then closes;
// UDP never replies.
import NIOCore

extension ServiceDescriptor {
    public static let discard = ServiceDescriptor(
        name: "discard",
        rfc: 863,
        wellKnownPort: 9,
        summary: "reads and drops everything, never replies"
    ) { _, _ in
        ServiceInstance(
            name: "discard",
            stream: { [DiscardStreamHandler()] },
            datagram: { DiscardReply() }
        )
    }
}

/// TCP discard: drops every byte; closes when the client has finished sending.
public final class DiscardStreamHandler: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer

    public init() {}

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Into the bit bucket.
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(ChannelEvent.inputClosed) = event as? ChannelEvent {
            context.close(promise: nil)
        }
        context.fireUserInboundEventTriggered(event)
    }
}

/// UDP discard: never a reply.
public struct DiscardReply: ReplyProducer {
    public init() {}

    public mutating func reply(to request: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer? {
        nil
    }
}
