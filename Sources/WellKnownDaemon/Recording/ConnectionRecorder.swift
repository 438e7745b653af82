import Logging
import NIOCore
import WellKnownConfig
import WellKnownLogging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The first handler of every TCP connection: counts bytes both ways, closes the connection (only it) on errors,
/// and writes its socket-pair record when it ends.
final class ConnectionRecorder: ChannelDuplexHandler {
    typealias InboundIn = ByteBuffer
    typealias InboundOut = ByteBuffer
    typealias OutboundIn = ByteBuffer
    typealias OutboundOut = ByteBuffer

    private let counters: ServiceCounters
    private let logger: Logger
    private let records: RecordLog
    private let bounds: StreamBounds
    private var started = NIODeadline.now()
    private var lastActivity = NIODeadline.now()
    private var idleCheck: Scheduled<Void>?
    private var lifetimeEnd: Scheduled<Void>?
    // The socket pair, formatted only when a line is logged.
    private var remote: SocketAddress?
    private var local: SocketAddress?
    private var client: String { self.remote.map { $0.isUnix ? "unix" : $0.logDescription } ?? "?" }
    private var server: String { self.local?.logDescription ?? "?" }
    private var bytesIn = 0
    private var bytesOut = 0
    private var clientClosed = false
    private var closeRequested = false
    private var end: ConnectionEnd?
    private var errorDescription: String?
    /// AF_UNIX peers: who is on the other end, as the kernel tells it (SO_PEERCRED).
    private var peerCredentials: PeerCredentials?

    /// `records`: made once per listener, not per connection (it looks at the logger's handler).
    init(counters: ServiceCounters, records: RecordLog, bounds: StreamBounds = StreamBounds()) {
        self.counters = counters
        self.logger = records.logger
        self.records = records
        self.bounds = bounds
    }

    convenience init(counters: ServiceCounters, logger: Logger, bounds: StreamBounds = StreamBounds()) {
        self.init(counters: counters, records: RecordLog(logger), bounds: bounds)
    }

    func channelActive(context: ChannelHandlerContext) {
        // The event loop's clock, which the timers use too (and which tests can move).
        self.started = context.eventLoop.now
        self.lastActivity = self.started
        if let lifetime = self.bounds.maximumLifetime {
            self.lifetimeEnd = context.eventLoop.assumeIsolated().scheduleTask(in: TimeAmount(lifetime)) {
                self.finish(context: context, because: .lifetime)
            }
        }
        if let idle = self.bounds.idleTimeout {
            self.scheduleIdleCheck(context: context, after: TimeAmount(idle))
        }
        self.remote = context.channel.remoteAddress
        self.local = context.channel.localAddress
        if case .unixDomainSocket = context.channel.localAddress {
            // On the event loop the provider answers at once.
            (context.channel as? any SocketOptionProvider)?
                .unsafeGetSocketOption(level: SocketOptionLevel(SOL_SOCKET), name: SocketOptionName(SO_PEERCRED))
                .assumeIsolated()
                .whenSuccess { (credentials: PeerCredentials) in self.peerCredentials = credentials }
        }
        self.counters.accepted.add(1, ordering: .relaxed)
        self.counters.open.add(1, ordering: .relaxed)
        self.logger.debug(
            "accepted",
            metadata: [
                "service": "\(self.counters.service)", "proto": "tcp",
                "client": "\(self.client)", "server": "\(self.server)",
            ]
        )
        context.fireChannelActive()
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let count = self.unwrapInboundIn(data).readableBytes
        self.bytesIn += count
        self.lastActivity = context.eventLoop.now
        self.counters.bytesIn.add(count, ordering: .relaxed)
        if let maximum = self.bounds.maximumBytesIn, self.bytesIn > maximum {
            self.finish(context: context, because: .limit)
            return
        }
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var buffer = self.unwrapOutboundIn(data)
        if let maximum = self.bounds.maximumBytesOut, self.bytesOut + buffer.readableBytes >= maximum {
            // Send what the bound still allows, then end the connection once it is flushed.
            guard self.end == nil else {
                promise?.fail(ChannelError.ioOnClosedChannel)
                return
            }
            buffer = buffer.getSlice(at: buffer.readerIndex, length: maximum - self.bytesOut) ?? ByteBuffer()
            self.count(sent: buffer.readableBytes, at: context.eventLoop.now)
            self.end = .limit
            context.writeAndFlush(self.wrapOutboundOut(buffer), promise: promise)
            context.close(promise: nil)
            return
        }
        self.count(sent: buffer.readableBytes, at: context.eventLoop.now)
        context.write(data, promise: promise)
    }

    private func count(sent: Int, at now: NIODeadline) {
        self.bytesOut += sent
        self.lastActivity = now
        self.counters.bytesOut.add(sent, ordering: .relaxed)
    }

    /// Ends the connection for a bound, if nothing else has ended it already.
    private func finish(context: ChannelHandlerContext, because reason: ConnectionEnd) {
        guard self.end == nil else { return }
        self.end = reason
        context.close(promise: nil)
    }

    /// Checks idleness when the timeout could first have run out, instead of rescheduling on every byte.
    private func scheduleIdleCheck(context: ChannelHandlerContext, after delay: TimeAmount) {
        self.idleCheck = context.eventLoop.assumeIsolated().scheduleTask(in: delay) {
            guard let idle = self.bounds.idleTimeout.map(TimeAmount.init) else { return }
            let quiet = context.eventLoop.now - self.lastActivity
            if quiet >= idle {
                self.finish(context: context, because: .timeout)
            } else {
                self.scheduleIdleCheck(context: context, after: idle - quiet)
            }
        }
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
        guard event is ShutdownRequest else {
            context.triggerUserOutboundEvent(event, promise: promise)
            return
        }
        self.end = self.end ?? .shutdown
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
        self.idleCheck?.cancel()
        self.lifetimeEnd?.cancel()
        self.counters.open.add(-1, ordering: .relaxed)
        guard self.logger.logLevel <= .info else {
            context.fireChannelInactive()
            return
        }
        let record = ConnectionRecord(
            service: self.counters.service,
            client: self.remote,
            server: self.local,
            duration: context.eventLoop.now - self.started,
            bytesIn: self.bytesIn,
            bytesOut: self.bytesOut,
            end: self.end ?? (self.clientClosed ? .client : self.closeRequested ? .server : .reset),
            peerCredentials: self.peerCredentials,
            error: self.errorDescription
        )
        self.records.info("connection", record)
        context.fireChannelInactive()
    }
}
