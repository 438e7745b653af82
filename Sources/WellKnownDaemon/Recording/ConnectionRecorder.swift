import Logging
import NIOCore
import WellKnownLogging
import WellKnownServices

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The first handler of every TCP connection served through a channel: counts bytes both ways, closes the
/// connection (only it) on errors and on a `CloseRequest`, and ends it through its `AdmittedConnection` when the
/// channel goes: the socket-pair record, the open count, the place at the gate. The bounds are the
/// `StreamBoundsHandler`'s, right behind it.
final class ConnectionRecorder: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let connection: AdmittedConnection
    private var started = NIODeadline.now()
    // The socket pair, formatted only when a line is logged.
    private var remote: SocketAddress?
    private var local: SocketAddress?
    private var client: String { self.remote.map { $0.isUnix ? "unix" : $0.logDescription } ?? "?" }
    private var bytesIn = 0
    private var bytesOut = 0
    private var clientClosed = false
    private var closeRequested = false
    private var opened = false
    private var ended = false
    private var end: ConnectionEnd?
    private var errorDescription: String?
    /// The service a tcpmux connection was handed to.
    private var became: String?
    /// AF_UNIX peers: who is on the other end, as the kernel tells it (SO_PEERCRED).
    private var peerCredentials: PeerCredentials?

    init(_ connection: AdmittedConnection) {
        self.connection = connection
    }

    func channelActive(context: ChannelHandlerContext) {
        // The event loop's clock, which the bounds' timers use too (and which tests can move).
        self.started = context.eventLoop.now
        self.remote = context.channel.remoteAddress
        self.local = context.channel.localAddress
        if case .unixDomainSocket = context.channel.localAddress {
            // On the event loop the provider answers at once.
            (context.channel as? any SocketOptionProvider)?
                .unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
                .assumeIsolated()
                .whenSuccess { (credentials: PeerCredentials) in self.peerCredentials = credentials }
        }
        self.opened = true
        self.connection.opened(server: self.local, clientDescription: self.client)
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let count = self.unwrapInboundIn(data).readableBytes
        self.bytesIn += count
        self.connection.received(count)
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        let count = self.unwrapOutboundIn(data).readableBytes
        self.bytesOut += count
        self.connection.sent(count)
        context.write(data, promise: promise)
    }

    func close(context: ChannelHandlerContext, mode: CloseMode, promise: EventLoopPromise<Void>?) {
        if mode == .all {
            self.closeRequested = true
        }
        context.close(mode: mode, promise: promise)
    }

    func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(ChannelEvent.inputClosed) = event as? ChannelEvent {
            self.clientClosed = true
        }
        context.fireUserInboundEventTriggered(event)
    }

    func triggerUserOutboundEvent(context: ChannelHandlerContext, event: Any, promise: EventLoopPromise<Void>?) {
        if let selection = event as? TCPMuxSelection {
            self.became = selection.service
            promise?.succeed(())
            return
        }
        guard let request = event as? CloseRequest else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        self.end = self.end ?? request.reason
        context.close(promise: nil)
        promise?.succeed(())
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // One connection's error ends that connection, never the server.
        if self.end == nil {
            if let io = error as? IOError, io.errnoCode == ECONNRESET || io.errnoCode == EPIPE {
                self.end = .reset
            } else {
                self.end = .error
                self.errorDescription = "\(error)"
            }
        }
        context.close(promise: nil)
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.finish(now: context.eventLoop.now)
        context.fireChannelInactive()
    }

    /// A channel closed before it became active (its initializer failed) never sees `channelInactive`; its place
    /// at the gate is given back here.
    func handlerRemoved(context: ChannelHandlerContext) {
        self.finish(now: context.eventLoop.now)
    }

    private func finish(now: NIODeadline) {
        guard !self.ended else { return }
        self.ended = true
        let end = self.end ?? (self.clientClosed ? .client : self.closeRequested ? .server : .reset)
        let duration = now - self.started
        self.connection.ended(
            wasOpened: self.opened,
            end: end,
            duration: duration,
            record: ConnectionRecord(
                service: self.connection.lifecycle.service,
                client: self.remote,
                server: self.local,
                duration: duration,
                bytesIn: self.bytesIn,
                bytesOut: self.bytesOut,
                end: end,
                peerCredentials: self.peerCredentials,
                error: self.errorDescription,
                became: self.became
            )
        )
    }
}
