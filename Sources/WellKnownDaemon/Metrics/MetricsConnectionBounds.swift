import NIOCore

/// First on every connection to the metrics endpoint: the bounds that keep a slow or hostile client from holding
/// memory or a place for long. At most `maximumRequestBytes` are read (request line and headers; nothing more is
/// ever wanted, since one request is answered per connection), or the client gets a 431 and the connection closes;
/// the whole exchange must be over within `timeout`, or the client gets a 408 (if no answer was started) and the
/// connection closes. `released` runs once when the connection goes, to give its place back.
final class MetricsConnectionBounds: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    static let maximumRequestBytes = 8192

    private let timeout: TimeAmount
    private let answered: @Sendable (String) -> Void
    private let released: @Sendable () -> Void
    private var received = 0
    private var writing = false
    private var timer: Scheduled<Void>?
    private var done = false

    init(
        timeout: TimeAmount,
        answered: @escaping @Sendable (String) -> Void,
        released: @escaping @Sendable () -> Void
    ) {
        self.timeout = timeout
        self.answered = answered
        self.released = released
    }

    func handlerAdded(context: ChannelHandlerContext) {
        let loopBound = NIOLoopBound((self, context), eventLoop: context.eventLoop)
        self.timer = context.eventLoop.scheduleTask(in: self.timeout) {
            let (handler, context) = loopBound.value
            handler.refuse(context: context, status: "408 Request Timeout", outcome: "408")
        }
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.writing else { return }
        let bytes = self.unwrapInboundIn(data).readableBytes
        self.received += bytes
        guard self.received <= Self.maximumRequestBytes else {
            self.refuse(context: context, status: "431 Request Header Fields Too Large", outcome: "431")
            return
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        self.writing = true
        context.write(data, promise: promise)
    }

    /// An answer of our own, written below the HTTP encoder: only when no answer has been started.
    private func refuse(context: ChannelHandlerContext, status: String, outcome: String) {
        guard !self.writing else {
            context.close(promise: nil)
            return
        }
        self.writing = true
        self.answered(outcome)
        let text = "HTTP/1.1 \(status)\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        context.writeAndFlush(self.wrapOutboundOut(context.channel.allocator.buffer(string: text)))
            .assumeIsolated().whenComplete { _ in context.close(promise: nil) }
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.finish()
        context.fireChannelInactive()
    }

    func handlerRemoved(context: ChannelHandlerContext) {
        self.finish()
    }

    private func finish() {
        guard !self.done else { return }
        self.done = true
        self.timer?.cancel()
        self.released()
    }
}
