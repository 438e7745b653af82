import NIOCore

/// UDP: answer every datagram, empty ones included, to the address it came from. Replies are flushed once per
/// read burst so that NIO can send them with one vector write. Removable, so that a reload can replace it.
public final class DatagramReplyHandler<Producer: ReplyProducer>: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = AddressedEnvelope<ByteBuffer>
    public typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private var producer: Producer
    private var needsFlush = false

    public init(_ producer: Producer) {
        self.producer = producer
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let request = self.unwrapInboundIn(data)
        guard let reply = self.producer.reply(to: request.data, allocator: context.channel.allocator) else {
            return
        }
        let envelope = AddressedEnvelope(remoteAddress: request.remoteAddress, data: reply)
        // NIOAny(_:) with the concrete type: `wrapOutboundOut` is generic over this generic class, so inside the
        // unspecialised witness it wrapped through dynamic casts, 1.5k instructions per datagram (bench/callgrind).
        context.write(NIOAny(envelope), promise: nil)
        self.needsFlush = true
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        if self.needsFlush {
            self.needsFlush = false
            context.flush()
        }
        context.fireChannelReadComplete()
    }

    public func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A datagram socket serves every peer at once: an error from one exchange (an ICMP port unreachable
        // surfacing as ECONNREFUSED, say) must not close it for all the others.
    }
}
