import NIOCore

/// UDP through a NIO channel (AF_UNIX datagram sockets; IP sockets have the daemon's batched loop): answers every
/// datagram, empty ones included, with what the service's responder says, to the address it came from. Replies are
/// flushed once per read burst so that NIO can send them with one vector write. Removable, so that a reload can
/// replace it.
public final class DatagramReplyHandler: ChannelInboundHandler, RemovableChannelHandler {
    public typealias InboundIn = AddressedEnvelope<ByteBuffer>
    public typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private var responder: any DatagramResponder
    private var needsFlush = false

    public init(_ responder: any DatagramResponder) {
        self.responder = responder
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let request = self.unwrapInboundIn(data)
        let peers = DatagramPeers(
            client: request.remoteAddress,
            destination: request.metadata?.packetInfo?.destinationAddress,
            bound: context.channel.localAddress
        )
        guard let reply = self.responder.reply(to: request.data, peers: peers, allocator: context.channel.allocator)
        else {
            return
        }
        context.write(
            self.wrapOutboundOut(AddressedEnvelope(remoteAddress: request.remoteAddress, data: reply)),
            promise: nil
        )
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
