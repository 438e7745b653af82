import NIOCore
import WellKnownConfig

/// Right behind the `ConnectionRecorder` on a connection whose entry has bounds: ends it after `idleTimeout`
/// without a byte either way, after `maximumLifetime`, or once `maximumBytesIn` have arrived or `maximumBytesOut`
/// have been sent (the last write is cut to what the bound still allows). It ends a connection by sending a
/// `CloseRequest` towards the recorder, which logs the reason.
final class StreamBoundsHandler: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let bounds: StreamBounds
    private var lastActivity = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?
    private var lifetimeEnd: Scheduled<Void>?
    private var bytesIn = 0
    private var bytesOut = 0
    private var ended = false

    init(bounds: StreamBounds) {
        self.bounds = bounds
    }

    /// Whether `bounds` bounds anything: a connection without any gets no handler at all.
    static func isNeeded(for bounds: StreamBounds) -> Bool {
        bounds.idleTimeout != nil || bounds.maximumLifetime != nil || bounds.maximumBytesIn != nil
            || bounds.maximumBytesOut != nil
    }

    func channelActive(context: ChannelHandlerContext) {
        // The event loop's clock, which the timers use too (and which tests can move).
        self.lastActivity = context.eventLoop.now
        if let lifetime = self.bounds.maximumLifetime {
            self.lifetimeEnd = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(lifetime)) {
                self.end(context: context, because: .lifetime)
            }
        }
        if let idle = self.bounds.idleTimeout {
            self.scheduleIdleCheck(context: context, after: TimeAmount(idle))
        }
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.bytesIn += self.unwrapInboundIn(data).readableBytes
        self.lastActivity = context.eventLoop.now
        if let maximum = self.bounds.maximumBytesIn, self.bytesIn > maximum {
            self.end(context: context, because: .limit)
            return
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var buffer = self.unwrapOutboundIn(data)
        self.lastActivity = context.eventLoop.now
        guard let maximum = self.bounds.maximumBytesOut, self.bytesOut + buffer.readableBytes >= maximum else {
            self.bytesOut += buffer.readableBytes
            context.write(data, promise: promise)
            return
        }
        guard !self.ended else {
            promise?.fail(ChannelError.ioOnClosedChannel)
            return
        }
        // Send what the bound still allows, then end the connection once it is flushed.
        buffer = buffer.getSlice(at: buffer.readerIndex, length: maximum - self.bytesOut) ?? ByteBuffer()
        self.bytesOut += buffer.readableBytes
        context.writeAndFlush(self.wrapOutboundOut(buffer), promise: promise)
        self.end(context: context, because: .limit)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.idleCheck?.cancel()
        self.lifetimeEnd?.cancel()
        context.fireChannelInactive()
    }

    private func end(context: ChannelHandlerContext, because reason: ConnectionEnd) {
        guard !self.ended else { return }
        self.ended = true
        context.triggerUserOutboundEvent(CloseRequest(reason: reason), promise: nil)
    }

    /// Checks idleness when the timeout could first have run out, instead of rescheduling on every byte.
    private func scheduleIdleCheck(context: ChannelHandlerContext, after delay: TimeAmount) {
        self.idleCheck = context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            guard let idle = self.bounds.idleTimeout.map(TimeAmount.init) else { return }
            let quiet = context.eventLoop.now - self.lastActivity
            if quiet >= idle {
                self.end(context: context, because: .timeout)
            } else {
                self.scheduleIdleCheck(context: context, after: idle - quiet)
            }
        }
    }
}
