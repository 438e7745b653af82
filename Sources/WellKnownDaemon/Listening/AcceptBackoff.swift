import Logging
import NIOCore
import NIOPosix
import WellKnownLogging

/// First on every TCP listener: when accept(2) fails for want of resources (EMFILE, ENFILE: out of descriptors;
/// ENOBUFS, ENOMEM) it stops accepting for `backoff`, then tries again. Waiting connections stay in the kernel's
/// backlog meanwhile, and are served once descriptors are free again.
///
/// NIO's own `AcceptBackoffHandler` (which ServerBootstrap installs) cannot do this in NIO 2.101: a failed accept
/// leaves the channel's `readPending` set, so the listener stays registered for readability and the level-triggered
/// epoll loop calls accept4 again at once, thousands of times a second (measured: 8,551 failed accept4 calls in
/// 2 s, a whole core). Turning `autoRead` off unregisters the socket from epoll; turning it on again re-registers it.
///
/// The failures are logged at most once per `reportPeriod` per listener, with their count.
final class AcceptBackoff: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    static let backoff: TimeAmount = .milliseconds(250)
    static let reportPeriod: TimeAmount = .seconds(10)

    private let route: RouteBox
    private let logger: Logger
    private var failures = 0
    private var lastReport: NIODeadline?
    private var retry: Scheduled<Void>?

    init(route: RouteBox, logger: Logger) {
        self.route = route
        self.logger = logger
    }

    static let shortages: Set<Int32> = [EMFILE, ENFILE, ENOBUFS, ENOMEM]

    func errorCaught(context: ChannelHandlerContext, error: any Error) {
        guard let io = error as? IOError, Self.shortages.contains(io.errnoCode) else {
            context.fireErrorCaught(error)
            return
        }
        self.failures += 1
        self.report(io, context: context)
        guard self.retry == nil, let options = context.channel.syncOptions else { return }
        try? options.setOption(.autoRead, value: false)
        let channel = context.channel
        self.retry = context.eventLoop.assumeIsolated().scheduleTask(in: Self.backoff) {
            self.retry = nil
            try? channel.syncOptions?.setOption(.autoRead, value: true)
        }
    }

    private func report(_ io: IOError, context: ChannelHandlerContext) {
        let now = NIODeadline.now()
        guard self.lastReport.map({ now - $0 >= Self.reportPeriod }) ?? true else { return }
        Self.report(
            error: io.errnoCode,
            failures: self.failures,
            service: self.route.withLockedValue { $0.service },
            server: context.channel.localAddress,
            logger: self.logger
        )
        self.lastReport = now
        self.failures = 0
    }

    /// The warning of a listener that stopped accepting for a while, with the failures since the last one; the
    /// `AcceptLoop`'s listeners say the same.
    static func report(error: Int32, failures: Int, service: String, server: SocketAddress?, logger: Logger) {
        logger.warning(
            "accept failed: retrying every 0.25 s, waiting connections stay queued",
            metadata: [
                "service": "\(service)",
                "server": "\(server?.logDescription ?? "?")",
                "error": "\(String(cString: strerror(error))) (errno \(error))",
                "failures": .stringConvertible(failures),
            ]
        )
    }

    func channelInactive(context: ChannelHandlerContext) {
        self.retry?.cancel()
        self.retry = nil
        context.fireChannelInactive()
    }
}
