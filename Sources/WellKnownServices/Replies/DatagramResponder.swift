import NIOCore

/// What a UDP service answers to one datagram, away from any channel: the daemon serves IP sockets from its own
/// batched loop (recvmmsg/sendmmsg) and AF_UNIX ones through `DatagramReplyHandler`, and both ask the same responder.
/// A responder serves one socket, on one thread at a time; a reload gives the socket a fresh one.
public protocol DatagramResponder {
    /// The reply to `request`, or nil for none (discard; the time service when the clock is unknown).
    mutating func reply(to request: ByteBuffer, peers: DatagramPeers, allocator: ByteBufferAllocator) -> ByteBuffer?
}

/// Who a datagram came from and went to, for a service whose reply names them (whoami).
public struct DatagramPeers {
    public var client: SocketAddress
    /// The datagram's destination (port 0) on a wildcard IP socket, from IP_PKTINFO / IPV6_PKTINFO; nil elsewhere.
    public var destination: SocketAddress?
    /// The address the socket is bound to.
    public var bound: SocketAddress?

    public init(client: SocketAddress, destination: SocketAddress?, bound: SocketAddress?) {
        self.client = client
        self.destination = destination
        self.bound = bound
    }
}

extension ReplyProducer {
    /// A request/reply service answers a datagram as it answers a connection: from the request alone.
    public mutating func reply(
        to request: ByteBuffer,
        peers: DatagramPeers,
        allocator: ByteBufferAllocator
    ) -> ByteBuffer? {
        self.reply(to: request, allocator: allocator)
    }
}
