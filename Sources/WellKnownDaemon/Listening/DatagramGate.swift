import Logging
import NIOCore
import WellKnownConfig
import WellKnownLogging

/// The front of a NIO-served UDP socket's pipeline (AF_UNIX datagram sockets; IP sockets are served by
/// `DatagramLoop`), before the service's handler: `DatagramPolicy`'s guard, counts, reply cap and socket-pair record
/// in one handler. Every handler a datagram crosses costs about 900 instructions in and out of NIO's pipeline
/// (`bench/callgrind`).
///
/// The service replies from inside `channelRead`: its reply comes back through `write` before the read returns,
/// which is how the record learns its size.
final class DatagramGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias InboundOut = AddressedEnvelope<ByteBuffer>
    typealias OutboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let policy: DatagramPolicy
    private let logger: Logger
    private var boundServer = "?"
    private var localPort = 0
    /// The reply allowance of the datagram being served.
    private var limit = Int.max
    private var replyBytes: Int?

    init(
        counters: ServiceCounters,
        logger: Logger,
        guard guardState: DatagramGuardState? = nil,
        access: AccessPolicy = .everyone,
        wholeReplies: Bool = false
    ) {
        self.policy = DatagramPolicy(
            counters: counters,
            logger: logger,
            guard: guardState,
            access: access,
            wholeReplies: wholeReplies
        )
        self.logger = logger
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // A reload puts a fresh gate on a socket that is already bound.
        if context.channel.isActive {
            self.learnBoundAddress(context.channel)
        }
    }

    func channelActive(context: ChannelHandlerContext) {
        self.learnBoundAddress(context.channel)
        context.fireChannelActive()
    }

    private func learnBoundAddress(_ channel: any Channel) {
        self.boundServer = channel.localAddress?.logDescription ?? "?"
        self.localPort = channel.localAddress?.port ?? 0
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let envelope = self.unwrapInboundIn(data)
        let bytesIn = envelope.data.readableBytes
        guard let limit = self.policy.admit(from: envelope.remoteAddress, size: bytesIn) else { return }
        self.limit = limit

        self.replyBytes = nil
        context.fireChannelRead(data)
        let replied = self.replyBytes
        self.replyBytes = nil

        self.policy.record(
            client: envelope.remoteAddress,
            destination: envelope.metadata?.packetInfo?.destinationAddress,
            localPort: self.localPort,
            boundServer: self.boundServer,
            bytesIn: bytesIn,
            bytesOut: replied
        )
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var envelope = self.unwrapOutboundIn(data)
        let count = envelope.data.readableBytes
        guard let allowed = self.policy.allow(replyOf: count, limit: self.limit, to: envelope.remoteAddress) else {
            promise?.fail(ReplyDropped())
            return
        }
        self.replyBytes = (self.replyBytes ?? 0) + allowed
        guard allowed < count else {
            context.write(data, promise: promise)
            return
        }
        envelope.data.moveWriterIndex(to: envelope.data.readerIndex + allowed)
        context.write(self.wrapOutboundOut(envelope), promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A datagram socket serves everyone: an error from one exchange never closes it.
        self.logger.debug(
            "datagram error",
            metadata: ["service": "\(self.policy.counters.service)", "error": "\(error)"]
        )
    }
}

/// Why a whole reply was not sent: it was larger than the reply cap allows.
struct ReplyDropped: Error {}
