import Logging
import NIOCore
import WellKnownLogging

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// On every TCP listener, before ServerBootstrap's accept handler: a connection to a service that only sends one
/// reply on connect and closes (daytime, time: `ServiceInstance.replyOnConnect`) is admitted, answered with one
/// send(2) on the accepted socket, closed and logged right here. It never gets a pipeline of its own, an epoll
/// registration, an activation or a deregistration, which together cost the daemon more than the answer itself
/// (see the README's Benchmarks).
///
/// A connection NIO placed on another event loop than the listener's (an inherited socket serves the whole group)
/// is answered on its own loop. Everything else goes on to the accept handler and the channel initializer: other
/// services, and AF_UNIX clients (whose log line names the peer from SO_PEERCRED).
final class ReplyOnAccept: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private let route: RouteBox
    private let gate: ConnectionGate
    private let logger: Logger
    private let records: RecordLog

    init(route: RouteBox, gate: ConnectionGate, logger: Logger) {
        self.route = route
        self.gate = gate
        self.logger = logger
        self.records = RecordLog(logger)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let connection = self.unwrapInboundIn(data)
        // The whole route is copied only for a one-shot service: every other connection reads it again in the
        // channel initializer.
        let route = self.route.withLockedValue { $0.instance.replyOnConnect == nil ? nil : $0 }
        guard let route, let makeReply = route.instance.replyOnConnect, let client = connection.remoteAddress,
            !client.isUnix
        else {
            context.fireChannelRead(data)
            return
        }
        let answer = Answer(
            route: route,
            makeReply: makeReply,
            gate: self.gate,
            logger: self.logger,
            records: self.records
        )
        if connection.eventLoop.inEventLoop {
            answer.serve(connection, from: client)
        } else {
            // An inherited socket serves the whole group, so NIO may have given the connection to another loop:
            // it is answered there, where its channel belongs.
            connection.eventLoop.execute { answer.serve(connection, from: client) }
        }
    }

    /// Everything one answer needs, so that it can run on the connection's own event loop.
    private struct Answer: Sendable {
        let route: Route
        let makeReply: @Sendable (ByteBufferAllocator) -> ByteBuffer?
        let gate: ConnectionGate
        let logger: Logger
        let records: RecordLog

        /// Admits, answers, closes and logs one connection. On the connection's event loop.
        func serve(_ connection: any Channel, from client: SocketAddress) {
            let started = NIODeadline.now()
            let server = connection.localAddress
            guard self.route.admit(client: client, server: server, gate: self.gate) else {
                connection.close(promise: nil)
                return
            }
            self.route.counters.accepted.add(1, ordering: .relaxed)
            self.logger.debug(
                "accepted",
                metadata: [
                    "service": "\(self.route.service)", "proto": "tcp",
                    "client": "\(client.logDescription)", "server": "\(server?.logDescription ?? "?")",
                ]
            )

            var outcome = Outcome(end: .server, bytesOut: 0, error: nil)
            if let reply = self.makeReply(connection.allocator) {
                outcome = ReplyOnAccept.send(reply, on: connection)
            }
            connection.close(promise: nil)
            self.gate.release(self.route.admission, source: client)
            self.route.counters.bytesOut.add(outcome.bytesOut, ordering: .relaxed)

            self.records.info(
                "connection",
                ConnectionRecord(
                    service: self.route.service,
                    client: client,
                    server: server,
                    duration: NIODeadline.now() - started,
                    bytesIn: 0,
                    bytesOut: outcome.bytesOut,
                    end: outcome.end,
                    peerCredentials: nil,
                    error: outcome.error
                )
            )
        }
    }

    fileprivate struct Outcome {
        var end: ConnectionEnd
        var bytesOut: Int
        var error: String?
    }

    /// One send(2) of the whole reply. A fresh socket's send buffer is empty and holds kilobytes, so a reply of a
    /// few dozen bytes never meets a short write; if it ever did, the connection would end with `end=error`.
    fileprivate static func send(_ reply: ByteBuffer, on connection: any Channel) -> Outcome {
        let result: Int?
        do {
            result = try Self.withDescriptor(of: connection) { fd in
                reply.withUnsafeReadableBytes { bytes in
                    // MSG_NOSIGNAL: a client that is already gone is an EPIPE here, not a SIGPIPE.
                    Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL))
                }
            }
        } catch {
            return Outcome(end: .error, bytesOut: 0, error: "\(error)")
        }
        guard let sent = result else {
            return Outcome(end: .error, bytesOut: 0, error: "the accepted socket's descriptor is not available")
        }
        if sent < 0 {
            let code = errno
            if code == EPIPE || code == ECONNRESET {
                return Outcome(end: .reset, bytesOut: 0, error: nil)
            }
            return Outcome(end: .error, bytesOut: 0, error: "send: \(String(cString: strerror(code))) (errno \(code))")
        }
        guard sent == reply.readableBytes else {
            return Outcome(end: .error, bytesOut: sent, error: "send: \(sent) of \(reply.readableBytes) bytes taken")
        }
        return Outcome(end: .server, bytesOut: sent, error: nil)
    }

    /// The accepted socket's descriptor, for the length of `body`; nil if the channel does not expose it.
    ///
    /// What `pipeline.syncOperations.withUnsafeTransportIfAvailable(of:)` does, minus its cost: that casts the core
    /// to the parameterised `any NIOTransportAccessibleChannelCore<NIOBSDSocket.Handle>`, and the Swift runtime
    /// checks the generic requirements of such a cast anew on every call (demangling included): 5.6 % of the
    /// daemon's time at 19,000 daytime connections a second. A cast to the plain protocol is a conformance-cache hit;
    /// the transport is then cast to a descriptor inside the opened existential. Called on the channel's event loop.
    private static func withDescriptor<Result>(
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
