import NIOCore

/// Between the recorder and the service: a reply longer than the guard allows for its request is cut to that size
/// (only chargen's random-length replies ever are, with the defaults).
final class ReplySizeCap: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias InboundOut = AddressedEnvelope<ByteBuffer>
    typealias OutboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let state: DatagramGuardState
    private var limit = Int.max

    init(state: DatagramGuardState) {
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.limit = self.state.replyLimit(requestSize: self.unwrapInboundIn(data).data.readableBytes)
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var envelope = self.unwrapOutboundIn(data)
        guard envelope.data.readableBytes > self.limit else {
            context.write(data, promise: promise)
            return
        }
        envelope.data.moveWriterIndex(to: envelope.data.readerIndex + self.limit)
        context.write(self.wrapOutboundOut(envelope), promise: promise)
    }
}
