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
/// reply on connect and closes (daytime, time: `ServiceInstance.replyOnConnect`) is answered right here
/// (`OneShotAnswer`). It never gets a pipeline of its own, an epoll registration, an activation or a deregistration,
/// which together cost the daemon more than the answer itself (bench/PROFILES.md). A resumed IP listener of such a
/// service is served by an `AcceptLoop` instead, which does not even make the accepted socket a channel; this
/// handler answers the one-shot connections NIO accepts all the same: on a listener whose loop could not take its
/// socket, and around a reload that turns its service into a one-shot one or away from it.
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
        let answer = OneShotAnswer(
            lifecycle: route.lifecycle(gate: self.gate, records: self.records),
            makeReply: makeReply
        )
        if connection.eventLoop.inEventLoop {
            Self.serve(answer, connection, from: client)
        } else {
            // An inherited socket serves the whole group, so NIO may have given the connection to another loop:
            // it is answered there, where its channel belongs.
            connection.eventLoop.execute { Self.serve(answer, connection, from: client) }
        }
    }

    /// On the connection's event loop.
    private static func serve(_ answer: OneShotAnswer, _ connection: any Channel, from client: SocketAddress) {
        answer.serve(
            client: client,
            server: connection.localAddress,
            allocator: connection.allocator,
            send: { reply in
                do {
                    let outcome = try AcceptedSocket.withDescriptor(of: connection) {
                        OneShotAnswer.send(reply, on: $0)
                    }
                    return outcome
                        ?? OneShotAnswer.Outcome(
                            end: .error,
                            bytesOut: 0,
                            error: "the accepted socket's descriptor is not available"
                        )
                } catch {
                    return OneShotAnswer.Outcome(end: .error, bytesOut: 0, error: "\(error)")
                }
            },
            close: { connection.close(promise: nil) }
        )
    }
}
