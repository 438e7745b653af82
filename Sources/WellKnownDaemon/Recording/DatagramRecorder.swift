import Logging
import NIOCore
import WellKnownLogging

/// The first handler of every UDP socket: counts datagrams and bytes, and writes one socket-pair record per
/// datagram, answered or not. The local side is the datagram's real destination address: on a wildcard socket
/// from IP_PKTINFO / IPV6_RECVPKTINFO (it is not the bound address there), elsewhere the bound address.
///
/// Services reply from inside `channelRead`, so the reply to a datagram passes through `write` before the read
/// returns; that is how the record learns the size of the reply.
final class DatagramRecorder: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias InboundOut = AddressedEnvelope<ByteBuffer>
    typealias OutboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let counters: ServiceCounters
    private let logger: Logger
    private let records: RecordLog
    private var boundServer = "?"
    private var localPort = 0
    private var replyBytes: Int?

    init(counters: ServiceCounters, logger: Logger) {
        self.counters = counters
        self.logger = logger
        self.records = RecordLog(logger)
    }

    func handlerAdded(context: ChannelHandlerContext) {
        // A reload puts a fresh recorder on a socket that is already bound.
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
        let count = self.unwrapOutboundIn(data).data.readableBytes
        self.replyBytes = (self.replyBytes ?? 0) + count
        self.counters.replies.add(1, ordering: .relaxed)
        self.counters.bytesOut.add(count, ordering: .relaxed)
        context.write(data, promise: promise)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A datagram socket serves everyone: an error from one exchange never closes it.
        self.logger.debug("datagram error", metadata: ["service": "\(self.counters.service)", "error": "\(error)"])
    }
}
