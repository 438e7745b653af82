import NIOCore

/// What a request/reply service answers. Used once per TCP connection (on connect, with an empty request) by
/// `SingleReplyStreamHandler`, and once per datagram as the service's `DatagramResponder`.
public protocol ReplyProducer: DatagramResponder {
    /// The reply to `request`, or nil for none (silence, like the time service when the clock is unknown).
    mutating func reply(to request: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer?
}
