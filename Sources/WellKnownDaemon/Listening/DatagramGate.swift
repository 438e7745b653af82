import Logging
import NIOCore
import WellKnownConfig
import WellKnownLogging

/// The front of every UDP socket's pipeline, before the service's own handler: the UDP guard, the counts and the
/// socket-pair record of each datagram, and the reply size cap, in one handler. They were three handlers once;
/// every handler a datagram crosses costs about 900 instructions in and out of NIO's pipeline (its read, its reply,
/// read-complete and flush: `bench/callgrind`), a third of what wellknownd itself spends per datagram.
///
/// In order, per datagram:
/// 1. The guard (when the socket has one: AF_UNIX has none): the entry's access list, then `DatagramGuardState`'s
///    rules. A refused datagram is counted as a drop with its reason and goes no further: no record, no reply.
/// 2. Counted, then passed to the service, which replies from inside `channelRead`; the reply comes back through
///    `write` before the read returns, which is how the record learns its size.
/// 3. The reply cap: a reply longer than the guard allows for the request is cut to that size (only chargen's
///    random-length replies ever are, with the defaults), or, for a service whose replies are whole messages
///    (`ServiceInstance.wholeDatagramReplies`: a quote, a date, a socket pair), not sent at all and counted as
///    dropped (`reply-cap`): half a quote is no answer.
/// 4. The record: one line per datagram that passed the guard, answered or not. The local side is the datagram's
///    real destination: on a wildcard socket from IP_PKTINFO / IPV6_RECVPKTINFO (not the bound address there),
///    elsewhere the bound address.
final class DatagramGate: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias InboundOut = AddressedEnvelope<ByteBuffer>
    typealias OutboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let counters: ServiceCounters
    private let logger: Logger
    private let records: RecordLog
    private let guardState: DatagramGuardState?
    private let access: AccessPolicy
    private let wholeReplies: Bool
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
        self.counters = counters
        self.logger = logger
        self.records = RecordLog(logger)
        self.guardState = guardState
        self.access = access
        self.wholeReplies = wholeReplies
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
        if let guardState = self.guardState {
            let source = envelope.remoteAddress
            if let reason = self.access.permits(source) ? guardState.admit(from: source) : .accessDenied {
                self.drop(reason, from: source, guardState)
                return
            }
            self.limit = guardState.replyLimit(requestSize: bytesIn)
        }
        self.counters.accepted.add(1, ordering: .relaxed)
        self.counters.bytesIn.add(bytesIn, ordering: .relaxed)

        self.replyBytes = nil
        context.fireChannelRead(data)
        let replied = self.replyBytes
        self.replyBytes = nil

        self.records.info(
            "datagram",
            // Built only if the line is logged: an autoclosure.
            DatagramRecord(
                service: self.counters.service,
                client: envelope.remoteAddress,
                destination: envelope.metadata?.packetInfo?.destinationAddress,
                localPort: self.localPort,
                boundServer: self.boundServer,
                bytesIn: bytesIn,
                bytesOut: replied
            )
        )
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var envelope = self.unwrapOutboundIn(data)
        let count = envelope.data.readableBytes
        guard count > self.limit, let guardState = self.guardState else {
            self.countReply(count)
            context.write(data, promise: promise)
            return
        }
        if self.wholeReplies {
            self.drop(.replyCap, from: envelope.remoteAddress, guardState)
            promise?.fail(ReplyDropped())
            return
        }
        envelope.data.moveWriterIndex(to: envelope.data.readerIndex + self.limit)
        self.countReply(self.limit)
        context.write(self.wrapOutboundOut(envelope), promise: promise)
    }

    /// A datagram or its reply not sent: the guard's summary, the socket's counters and the metrics' reason.
    private func drop(_ reason: DatagramDropReason, from source: SocketAddress, _ guardState: DatagramGuardState) {
        guardState.recordDrop(reason, source: source)
        self.counters.dropped.add(1, ordering: .relaxed)
        self.counters.drops?.count(reason)
    }

    private func countReply(_ count: Int) {
        self.replyBytes = (self.replyBytes ?? 0) + count
        self.counters.replies.add(1, ordering: .relaxed)
        self.counters.bytesOut.add(count, ordering: .relaxed)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A datagram socket serves everyone: an error from one exchange never closes it.
        self.logger.debug("datagram error", metadata: ["service": "\(self.counters.service)", "error": "\(error)"])
    }
}

/// Why a whole reply was not sent: it was larger than the reply cap allows.
struct ReplyDropped: Error {}
