// The one place the daemon reaches below NIO's public API: the descriptor of a channel's socket, for
// `ReplyOnAccept`'s send(2) on an accepted socket and for the listening socket an `AcceptLoop` accepts on. Checked
// against swift-nio 2.101.3; re-check `Channel._channelCore` and `NIOTransportAccessibleChannelCore` when NIO is
// upgraded.
import NIOCore

enum AcceptedSocket {
    /// The channel's descriptor, for the length of `body` (a listener's stays valid until the channel is closed,
    /// which is how `AcceptLoop` uses it); nil if the channel does not expose it. On the channel's event loop.
    ///
    /// What `pipeline.syncOperations.withUnsafeTransportIfAvailable(of:)` does, minus its cost: that casts the core
    /// to the parameterised `any NIOTransportAccessibleChannelCore<NIOBSDSocket.Handle>`, and the Swift runtime
    /// checks the generic requirements of such a cast anew on every call (demangling included), a measurable share
    /// of the daemon's time under the daytime benchmark (bench/PROFILES.md). A cast to the plain protocol is a
    /// conformance-cache hit; the transport is then cast to a descriptor inside the opened existential.
    static func withDescriptor<Result>(
        of connection: any Channel,
        _ body: (NIOBSDSocket.Handle) throws -> Result
    ) throws -> Result? {
        guard let core = connection._channelCore as? any NIOTransportAccessibleChannelCore else { return nil }
        return try Self.withDescriptor(of: core, body)
    }

    private static func withDescriptor<Core: NIOTransportAccessibleChannelCore, Result>(
        of core: Core,
        _ body: (NIOBSDSocket.Handle) throws -> Result
    ) throws -> Result? {
        try core.withUnsafeTransport { transport -> Result? in
            guard let descriptor = transport as? NIOBSDSocket.Handle else { return nil }
            return try body(descriptor)
        }
    }
}
