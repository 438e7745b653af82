import WellKnownServices

/// One thing to probe: a built-in service over one transport, on a port.
public struct ProbeTarget: Sendable, Hashable, CustomStringConvertible {
    public enum Transport: String, Sendable, Hashable {
        case tcp, udp
    }

    public let service: String
    public let transport: Transport
    public let port: Int

    public init(service: String, transport: Transport, port: Int) {
        self.service = service
        self.transport = transport
        self.port = port
    }

    public var description: String { "\(self.service)/\(self.transport.rawValue):\(self.port)" }

    public struct ParseError: Error, CustomStringConvertible {
        public let description: String
    }

    /// `SERVICE[/tcp|/udp][:PORT]`: every transport the service has unless one is named, on its well-known port
    /// unless one is given.
    /// `local`: for an AF_UNIX host, where a port means nothing and none is needed, and the transport is TCP (a
    /// stream socket) unless `/udp` is given.
    public static func parse(_ text: String, local: Bool = false) throws(ParseError) -> [ProbeTarget] {
        var rest = Substring(text)
        var port: Int?
        if let colon = rest.lastIndex(of: ":") {
            guard let number = Int(rest[rest.index(after: colon)...]), (1...65535).contains(number) else {
                throw ParseError(description: "\(text): the port must be a number 1-65535")
            }
            port = number
            rest = rest[..<colon]
        }
        var transports: [Transport]?
        if let slash = rest.lastIndex(of: "/") {
            guard let transport = Transport(rawValue: String(rest[rest.index(after: slash)...]).lowercased()) else {
                throw ParseError(description: "\(text): the transport must be tcp or udp")
            }
            transports = [transport]
            rest = rest[..<slash]
        }
        let name = rest.lowercased()
        guard let descriptor = ServiceCatalog.descriptor(named: name) else {
            throw ParseError(
                description:
                    "\(text): not a built-in service (\(ServiceCatalog.all.map(\.name).joined(separator: ", ")))"
            )
        }
        if transports == [.udp] && !descriptor.datagrams {
            throw ParseError(description: "\(text): \(name) is a TCP service")
        }
        guard let resolvedPort = port ?? descriptor.wellKnownPort ?? (local ? 0 : nil) else {
            throw ParseError(description: "\(text): \(name) has no well-known port; give one (\(name):6099)")
        }
        // A socket path is one socket type: a stream unless /udp says it is a datagram socket.
        let both: [Transport] = descriptor.datagrams && !local ? [.tcp, .udp] : [.tcp]
        return (transports ?? both).map {
            ProbeTarget(service: name, transport: $0, port: resolvedPort)
        }
    }

    /// Without SERVICE arguments: every built-in that has a well-known port, over each of its transports.
    public static var everyWellKnown: [ProbeTarget] {
        ServiceCatalog.all.flatMap { descriptor -> [ProbeTarget] in
            guard let port = descriptor.wellKnownPort else { return [] }
            return (descriptor.datagrams ? [Transport.tcp, .udp] : [.tcp]).map {
                ProbeTarget(service: descriptor.name, transport: $0, port: port)
            }
        }
    }
}
