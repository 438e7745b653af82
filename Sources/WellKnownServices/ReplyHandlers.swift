import NIOCore

/// What a request/reply service answers. Used once per TCP connection (on connect, with an empty request) by
/// `SingleReplyStreamHandler`, and once per datagram by `DatagramReplyHandler`.
public protocol ReplyProducer {
    /// The reply to `request`, or nil for none (silence, like the time service when the clock is unknown).
    mutating func reply(to request: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer?
}

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
            context.writeAndFlushThenClose(self.wrapOutboundOut(reply))
        } else {
            context.close(promise: nil)
        }
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // RFC 867 and 868: "any data received is thrown away".
    }
}

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
        context.write(self.wrapOutboundOut(envelope), promise: nil)
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

extension ChannelHandlerContext {
    /// Writes `data`, flushes, and closes once everything written before it has reached the kernel.
    /// Closing straight away would discard writes the socket has not taken yet.
    func writeAndFlushThenClose(_ data: NIOAny) {
        self.writeAndFlush(data).assumeIsolated().whenComplete { _ in
            self.close(promise: nil)
        }
    }
}
