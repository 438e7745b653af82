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
/// reply on connect and closes (daytime, time: `ServiceInstance.replyOnConnect`) goes through its whole
/// `ConnectionLifecycle` right here: admitted, answered with one send(2) on the accepted socket, closed, logged and
/// released. It never gets a pipeline of its own, an epoll registration, an activation or a deregistration, which
/// together cost the daemon more than the answer itself (bench/PROFILES.md).
///
/// A connection NIO placed on another event loop than the listener's (an inherited socket serves the whole group)
/// is answered on its own loop. Everything else goes on to the accept handler and the channel initializer: other
/// services, and AF_UNIX clients (whose log line names the peer from SO_PEERCRED).
final class ReplyOnAccept: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = any Channel
    typealias InboundOut = any Channel

    private let route: RouteBox
    private let gate: ConnectionGate
    private let records: RecordLog

    /// `records`: made once per listener, not per connection (it looks at the logger's handler).
    init(route: RouteBox, gate: ConnectionGate, records: RecordLog) {
        self.route = route
        self.gate = gate
        self.records = records
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
        let answer = Answer(lifecycle: route.lifecycle(gate: self.gate, records: self.records), makeReply: makeReply)
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
        let lifecycle: ConnectionLifecycle
        let makeReply: @Sendable (ByteBufferAllocator) -> ByteBuffer?

        /// Admits, answers, closes, logs and releases one connection. On the connection's event loop.
        func serve(_ connection: any Channel, from client: SocketAddress) {
            let started = NIODeadline.now()
            let server = connection.localAddress
            guard let admitted = self.lifecycle.admit(client: client, server: server) else {
                connection.close(promise: nil)
                return
            }
            admitted.opened(server: server, clientDescription: client.logDescription)
            var outcome = Outcome(end: .server, bytesOut: 0, error: nil)
            if let reply = self.makeReply(connection.allocator) {
                outcome = ReplyOnAccept.send(reply, on: connection)
            }
            connection.close(promise: nil)
            admitted.sent(outcome.bytesOut)
            let duration = NIODeadline.now() - started
            admitted.ended(
                wasOpened: true,
                end: outcome.end,
                duration: duration,
                record: ConnectionRecord(
                    service: self.lifecycle.service,
                    client: client,
                    server: server,
                    duration: duration,
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
            result = try AcceptedSocket.withDescriptor(of: connection) { fd in
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
}
