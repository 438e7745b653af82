// ident, RFC 1413 (FreeBSD inetd's `auth`): the client asks `port-on-server , port-on-client` about a TCP
// connection between this host and itself, and gets `ports : USERID : UNIX : id` or `ports : ERROR : reason`.
// Several queries per connection, each line at most 1000 bytes (longer: an UNKNOWN-ERROR and a close). The
// connection asked about is the one whose local end is the address the query arrived on with port-on-server, and
// whose remote end is the asker's own address with port-on-client: nobody can ask about anyone else's connections.
// By default the answer only says whether such a connection exists (HIDDEN-USER or NO-USER), as FreeBSD does.
import NIOCore

extension ServiceDescriptor {
    public static let ident = ServiceDescriptor(
        name: "ident",
        rfc: 1413,
        wellKnownPort: 113,
        summary: "tells the owner of a TCP connection between this host and the asker",
        datagrams: false,
        options: [.identReply]
    ) { options, environment throws(ServiceOptionError) in
        let reply = IdentReplyMode(rawValue: options.value(of: .identReply)) ?? .hidden
        let owners = environment.connectionOwners
        return ServiceInstance(
            name: "ident",
            // BackPressureHandler: a client that sends queries without reading the answers is not read either.
            stream: { [BackPressureHandler(), IdentStreamHandler(mode: reply, owners: owners)] }
        )
    }
}

extension ServiceOption {
    public static let identReply = ServiceOption(
        key: "reply",
        summary: "hidden (HIDDEN-USER for a connection that exists, NO-USER otherwise), uid, or user (the name)",
        allowedValues: IdentReplyMode.allCases.map(\.rawValue),
        defaultValue: IdentReplyMode.hidden.rawValue
    )
}

public enum IdentReplyMode: String, CaseIterable, Sendable {
    case hidden
    case uid
    case user
}

/// One query line, parsed: two ports, or why not.
public enum IdentQuery: Sendable, Hashable {
    case ports(server: Int, client: Int)
    /// Numbers outside 1...65535, or not numbers: answered INVALID-PORT with the text as given.
    case invalid(String)

    /// `6193, 23` (spaces and tabs optional around both numbers); `line` is without its line end.
    public init(line: some Collection<UInt8>) {
        let text = String(decoding: line, as: UTF8.self)
        let parts = text.split(separator: ",", omittingEmptySubsequences: false)
        func port(_ part: Substring) -> Int? {
            let digits = part.trimmingBlanks
            guard !digits.isEmpty, digits.count <= 5, digits.allSatisfy({ $0.isASCII && $0.isNumber }),
                let value = Int(String(digits)), (1...65535).contains(value)
            else { return nil }
            return value
        }
        guard parts.count == 2, let server = port(parts[0]), let client = port(parts[1]) else {
            self = .invalid(text.filter { $0.isASCII && !$0.isNewline && $0 != ":" }.prefix(64).description)
            return
        }
        self = .ports(server: server, client: client)
    }

    /// The reply line, CRLF included, for this query and the lookup's answer.
    public func reply(_ answer: ConnectionOwners.Answer?, mode: IdentReplyMode) -> String {
        switch self {
        case .invalid(let text):
            return "\(text.isEmpty ? "0 , 0" : text) : ERROR : INVALID-PORT\r\n"
        case .ports(let server, let client):
            let ports = "\(server) , \(client)"
            switch answer {
            case .owner(let owner)?:
                switch mode {
                case .hidden: return "\(ports) : ERROR : HIDDEN-USER\r\n"
                case .uid: return "\(ports) : USERID : UNIX : \(owner.uid)\r\n"
                case .user: return "\(ports) : USERID : UNIX : \(owner.user ?? String(owner.uid))\r\n"
                }
            case .noConnection?:
                return "\(ports) : ERROR : NO-USER\r\n"
            case .unknown?, nil:
                return "\(ports) : ERROR : UNKNOWN-ERROR\r\n"
            }
        }
    }
}

/// Reads query lines and answers each; holds at most one line (1000 bytes) at a time.
public final class IdentStreamHandler: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    /// RFC 1413 leaves the length open; 1000 bytes is far more than two ports.
    public static let maximumLineLength = 1000

    private let mode: IdentReplyMode
    private let owners: ConnectionOwners
    private var line: [UInt8] = []
    private var closing = false

    public init(mode: IdentReplyMode, owners: ConnectionOwners) {
        self.mode = mode
        self.owners = owners
    }

    /// Bytes held while a line is incomplete: never more than `maximumLineLength`.
    public var bufferedBytes: Int { self.line.count }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        guard !self.closing else { return }
        let buffer = self.unwrapInboundIn(data)
        for byte in buffer.readableBytesView {
            if byte == UInt8(ascii: "\n") {
                if self.line.last == UInt8(ascii: "\r") { self.line.removeLast() }
                self.answer(IdentQuery(line: self.line), context: context)
                self.line.removeAll(keepingCapacity: true)
                continue
            }
            guard self.line.count < Self.maximumLineLength else {
                self.closing = true
                self.line = []
                let reply = context.channel.allocator.buffer(string: "0 , 0 : ERROR : UNKNOWN-ERROR\r\n")
                context.writeAndFlushThenClose(self.wrapOutboundOut(reply))
                return
            }
            self.line.append(byte)
        }
    }

    public func channelReadComplete(context: ChannelHandlerContext) {
        context.flush()
        context.fireChannelReadComplete()
    }

    public func userInboundEventTriggered(context: ChannelHandlerContext, event: Any) {
        if case .some(ChannelEvent.inputClosed) = event as? ChannelEvent, !self.closing {
            // The asker is done: answer what is left (nothing) and close.
            self.closing = true
            context.writeAndFlushThenClose(self.wrapOutboundOut(context.channel.allocator.buffer(capacity: 0)))
        }
        context.fireUserInboundEventTriggered(event)
    }

    private func answer(_ query: IdentQuery, context: ChannelHandlerContext) {
        var answer: ConnectionOwners.Answer?
        if case .ports(let server, let client) = query,
            let local = context.channel.localAddress.flatMap({ try? $0.withPort(server) }),
            let remote = context.channel.remoteAddress.flatMap({ try? $0.withPort(client) })
        {
            answer = self.owners.owner(local: local, remote: remote)
        }
        let reply = query.reply(answer, mode: self.mode)
        context.write(self.wrapOutboundOut(context.channel.allocator.buffer(string: reply)), promise: nil)
    }
}

extension SocketAddress {
    /// The same IP address with another port; nil for AF_UNIX (ident is about TCP connections only).
    fileprivate func withPort(_ port: Int) throws -> SocketAddress? {
        guard let ip = self.ipAddress else { return nil }
        return try SocketAddress(ipAddress: ip, port: port)
    }
}
