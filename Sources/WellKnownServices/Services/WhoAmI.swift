// whoami, wellknownd's own: one line with the socket pair as the server sees it, the protocol, the client's
// address and port, the server's address and port. TCP sends it on connect and closes; UDP answers every
// datagram (with the datagram's real destination on a wildcard socket). For testing NAT and firewalls ("which
// source address and port does the far side see?") and for teaching what a socket pair is. Input is ignored.
import NIOCore

extension ServiceDescriptor {
    public static let whoami = ServiceDescriptor(
        name: "whoami",
        rfc: nil,
        wellKnownPort: nil,
        summary: "tells the client the socket pair the server sees",
        options: [.whoamiFormat]
    ) { options, _ throws(ServiceOptionError) in
        let format = WhoAmIFormat(rawValue: options.value(of: .whoamiFormat)) ?? .text
        return ServiceInstance(
            name: "whoami",
            stream: { [WhoAmIStreamHandler(format: format)] },
            datagram: { WhoAmIDatagramReply(format: format) },
            wholeDatagramReplies: true
        )
    }
}

extension ServiceOption {
    public static let whoamiFormat = ServiceOption(
        key: "format",
        summary: "text (proto=tcp client=IP:PORT server=IP:PORT) or json",
        allowedValues: WhoAmIFormat.allCases.map(\.rawValue),
        defaultValue: WhoAmIFormat.text.rawValue
    )
}

public enum WhoAmIFormat: String, CaseIterable, Sendable {
    /// `proto=tcp client=198.51.100.7:40001 server=192.0.2.1:6099`, the keys of the daemon's own log line.
    case text
    /// `{"proto":"tcp","client":"198.51.100.7:40001","server":"192.0.2.1:6099"}`
    case json

    /// The line for one socket pair, CRLF included.
    /// `serverPort`: the port to show for the server when `server` came without one (a datagram's destination).
    public func line(proto: String, client: SocketAddress?, server: SocketAddress?, serverPort: Int? = nil) -> [UInt8] {
        let client = client.map { Self.endpoint($0) } ?? "?"
        let server = server.map { Self.endpoint($0, port: serverPort) } ?? "?"
        switch self {
        case .text:
            return Array("proto=\(proto) client=\(client) server=\(server)\r\n".utf8)
        case .json:
            // Endpoints hold only digits, dots, colons, brackets and hex (or an AF_UNIX path, escaped below).
            return Array(
                "{\"proto\":\"\(proto)\",\"client\":\(Self.quoted(client)),\"server\":\(Self.quoted(server))}\r\n".utf8
            )
        }
    }

    /// `198.51.100.7:40001` or `[2001:db8::1]:40001`; an IPv4 client of a dual-stack socket (`::ffff:a.b.c.d`) as
    /// the IPv4 address it is; an AF_UNIX peer as its path, or `unix`. The daemon's log writes addresses the same
    /// way through its own, allocation-free formatter (WellKnownLogging), which this module may not import.
    public static func endpoint(_ address: SocketAddress, port: Int? = nil) -> String {
        let port = port ?? address.port ?? 0
        switch address {
        case .unixDomainSocket:
            guard let path = address.pathname, !path.isEmpty else { return "unix" }
            return path
        case .v4:
            return "\(address.ipAddress ?? "?"):\(port)"
        case .v6:
            let host = address.ipAddress ?? "?"
            if host.lowercased().hasPrefix("::ffff:"), host.dropFirst(7).contains(".") {
                return "\(host.dropFirst(7)):\(port)"
            }
            return "[\(host)]:\(port)"
        }
    }

    private static func quoted(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case _ where scalar.value < 0x20:
                out +=
                    "\\u" + String(repeating: "0", count: 4 - String(scalar.value, radix: 16).count)
                    + String(scalar.value, radix: 16)
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// TCP: the socket pair of this connection, then close. Input is ignored.
public final class WhoAmIStreamHandler: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    private let format: WhoAmIFormat

    public init(format: WhoAmIFormat) {
        self.format = format
    }

    public func channelActive(context: ChannelHandlerContext) {
        context.fireChannelActive()
        let line = self.format.line(
            proto: "tcp",
            client: context.channel.remoteAddress,
            server: context.channel.localAddress
        )
        var buffer = context.channel.allocator.buffer(capacity: line.count)
        buffer.writeBytes(line)
        context.writeAndFlushThenClose(self.wrapOutboundOut(buffer))
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}

/// UDP: every datagram is answered with its own socket pair; the server side is the datagram's destination
/// (IP_PKTINFO on a wildcard socket) with our port, else the bound address.
public struct WhoAmIDatagramReply: DatagramResponder {
    private let format: WhoAmIFormat

    public init(format: WhoAmIFormat) {
        self.format = format
    }

    public func reply(to request: ByteBuffer, peers: DatagramPeers, allocator: ByteBufferAllocator) -> ByteBuffer? {
        let line = self.format.line(
            proto: "udp",
            client: peers.client,
            server: peers.destination ?? peers.bound,
            serverPort: peers.destination == nil ? nil : peers.bound?.port
        )
        var buffer = allocator.buffer(capacity: line.count)
        buffer.writeBytes(line)
        return buffer
    }
}
