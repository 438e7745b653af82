import NIOCore

/// Between the recorder and the service: a reply longer than the guard allows for its request is cut to that size
/// (only chargen's random-length replies ever are, with the defaults), or, for a service whose replies are whole
/// messages (`ServiceInstance.wholeDatagramReplies`: a quote, a date, a socket pair), not sent at all and counted
/// as dropped (`reply-cap`): half a quote is no answer.
final class ReplySizeCap: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias InboundOut = AddressedEnvelope<ByteBuffer>
    typealias OutboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let state: DatagramGuardState
    private let counters: ServiceCounters?
    private let wholeReplies: Bool
    private var limit = Int.max

    init(state: DatagramGuardState, counters: ServiceCounters? = nil, wholeReplies: Bool = false) {
        self.state = state
        self.counters = counters
        self.wholeReplies = wholeReplies
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
        if self.wholeReplies {
            self.state.recordDrop(.replyCap, source: envelope.remoteAddress)
            self.counters?.dropped.add(1, ordering: .relaxed)
            self.counters?.drops?.count(.replyCap)
            promise?.fail(ReplyDropped())
            return
        }
        envelope.data.moveWriterIndex(to: envelope.data.readerIndex + self.limit)
        context.write(self.wrapOutboundOut(envelope), promise: promise)
    }
}

/// Why a whole reply was not sent: it was larger than the reply cap allows.
struct ReplyDropped: Error {}
