import Logging
import NIOCore
import NIOHTTP1

/// The endpoint's one route, behind NIO's HTTP/1 decoder and encoder: `GET` or `HEAD` of the configured path gets
/// the exposition, another path a 404, another method a 405, a request the parser rejects a 400. One request per
/// connection: every answer says `Connection: close` and the connection closes once it is written, so a client
/// holds at most one answer, and no request can follow to be buffered.
final class MetricsHTTPHandler: ChannelInboundHandler {
    typealias InboundIn = HTTPServerRequestPart
    typealias OutboundOut = HTTPServerResponsePart

    private let path: String
    private let render: @Sendable () -> [UInt8]
    private let answered: @Sendable (String) -> Void
    private let logger: Logger
    private var responded = false

    /// `render`: the exposition, made when a request asks for it. `answered`: told the status of every answer.
    init(
        path: String,
        render: @escaping @Sendable () -> [UInt8],
        answered: @escaping @Sendable (String) -> Void,
        logger: Logger
    ) {
        self.path = path
        self.render = render
        self.answered = answered
        self.logger = logger
    }

    static let contentType = "text/plain; version=0.0.4; charset=utf-8"

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard case .head(let request) = self.unwrapInboundIn(data), !self.responded else { return }
        let target = request.uri.split(separator: "?", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
        let status: HTTPResponseStatus
        var body: [UInt8] = []
        var headers = HTTPHeaders()
        if request.method != .GET && request.method != .HEAD {
            status = .methodNotAllowed
            headers.add(name: "Allow", value: "GET, HEAD")
        } else if target != self.path {
            status = .notFound
        } else {
            status = .ok
            body = self.render()
            headers.add(name: "Content-Type", value: Self.contentType)
        }
        self.logger.debug(
            "metrics request",
            metadata: [
                "client": "\(context.channel.remoteAddress.map { "\($0)" } ?? "?")",
                "method": "\(request.method)", "path": "\(target)", "status": "\(status.code)",
            ]
        )
        self.respond(context: context, status: status, headers: headers, body: body, sendBody: request.method != .HEAD)
    }

    func errorCaught(context: ChannelHandlerContext, error: Error) {
        // A request the parser rejects gets its 400 now: the decoder closes the connection when this returns. One
        // cut short by a close (the bounds' own answer, a client gone) gets nothing.
        if error is HTTPParserError, !self.responded, context.channel.isActive {
            self.respond(context: context, status: .badRequest, headers: HTTPHeaders(), body: [], sendBody: false)
        }
        context.close(promise: nil)
    }

    private func respond(
        context: ChannelHandlerContext,
        status: HTTPResponseStatus,
        headers: HTTPHeaders,
        body: [UInt8],
        sendBody: Bool
    ) {
        self.responded = true
        self.answered("\(status.code)")
        var headers = headers
        headers.add(name: "Content-Length", value: "\(body.count)")
        headers.add(name: "Connection", value: "close")
        context.write(
            self.wrapOutboundOut(.head(HTTPResponseHead(version: .http1_1, status: status, headers: headers))),
            promise: nil
        )
        if sendBody, !body.isEmpty {
            var buffer = context.channel.allocator.buffer(capacity: body.count)
            buffer.writeBytes(body)
            context.write(self.wrapOutboundOut(.body(.byteBuffer(buffer))), promise: nil)
        }
        let channel = context.channel
        context.writeAndFlush(self.wrapOutboundOut(.end(nil))).assumeIsolated().whenComplete { _ in
            channel.close(promise: nil)
        }
    }
}
