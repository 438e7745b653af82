import NIOCore

/// TCP: send one reply as soon as the connection is up, then close. Input is ignored.
public final class SingleReplyStreamHandler<Producer: ReplyProducer>: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private var producer: Producer

    public init(_ producer: Producer) {
        self.producer = producer
    }

    public func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        let request = context.channel.allocator.buffer(capacity: 0)
        if let reply = self.producer.reply(to: request, allocator: context.channel.allocator) {
            // NIOAny(_:) with the concrete type, not the generic `wrapOutboundOut` (see DatagramReplyHandler).
            context.writeAndFlushThenClose(NIOAny(reply))
        } else {
            context.close(promise: nil)
        }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // RFC 867 and 868: "any data received is thrown away".
    }
}
