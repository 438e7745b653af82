import NIOCore
import WellKnownConfig

/// First in every UDP pipeline: drops what the guard refuses before anything else sees it.
final class DatagramGuardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias InboundOut = AddressedEnvelope<ByteBuffer>

    private let state: DatagramGuardState
    private let counters: ServiceCounters
    private let access: AccessPolicy

    init(state: DatagramGuardState, counters: ServiceCounters, access: AccessPolicy = .everyone) {
        self.state = state
        self.counters = counters
        self.access = access
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let source = self.unwrapInboundIn(data).remoteAddress
        if let reason = self.access.permits(source) ? self.state.admit(from: source) : .accessDenied {
            self.state.recordDrop(reason, source: source)
            self.counters.dropped.add(1, ordering: .relaxed)
            self.counters.drops?.count(reason)
            return
        }
        context.fireChannelRead(data)
    }
}
