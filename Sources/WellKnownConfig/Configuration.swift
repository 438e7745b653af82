/// A validated configuration: which services to serve, where, and with which options.
public struct Configuration: Sendable, Hashable {
    /// The file it was read from, as named on the command line.
    public var source: String
    public var services: [ServiceEntry]
    /// How long open connections may run on after SIGTERM before they are closed.
    public var gracePeriod: Duration
    public var udpGuard: UDPGuardConfiguration
    public var limits: ConnectionLimits
    /// Who to serve as when started as root.
    public var runAs: RunAs

    public init(
        source: String,
        services: [ServiceEntry],
        gracePeriod: Duration = Self.defaultGracePeriod,
        udpGuard: UDPGuardConfiguration = UDPGuardConfiguration(),
        limits: ConnectionLimits = ConnectionLimits(),
        runAs: RunAs = RunAs()
    ) {
        self.source = source
        self.services = services
        self.gracePeriod = gracePeriod
        self.udpGuard = udpGuard
        self.limits = limits
        self.runAs = runAs
    }

    public static let defaultGracePeriod: Duration = .seconds(5)
    /// Where entries without `bind:` listen when the file names no default: loopback only, so that nothing is
    /// reachable from the network until the configuration says so.
    public static let defaultBindAddresses: [BindAddress] = [.ipv4Loopback, .ipv6Loopback]
}

public enum Transport: String, Sendable, Hashable, CaseIterable, Comparable {
    case tcp
    case udp

    public static func < (lhs: Transport, rhs: Transport) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}

/// One entry of `services:`.
public struct ServiceEntry: Sendable, Hashable {
    /// Position in the `services` list, from 0.
    public var index: Int
    public var service: String
    /// The port of an IP entry; nil for an AF_UNIX entry.
    public var port: Int?
    /// The socket path of an AF_UNIX entry (`tcp` is a stream socket, `udp` a datagram socket); nil for IP.
    public var path: String?
    public var transports: [Transport]
    public var addresses: [BindAddress]
    /// Bounds on each TCP connection of this entry.
    public var bounds: StreamBounds
    /// Open TCP connections of this entry at most; nil for no limit of its own.
    public var maximumConnections: Int?
    /// Who may use this entry: the file's `allow`/`deny` with the entry's own.
    public var access: AccessPolicy
    /// Service-specific settings (daytime `format`, chargen `udp-mode`, …) with where each was written.
    public var options: [String: OptionValue]
    /// Where the entry starts.
    public var location: SourceLocation

    public init(
        index: Int,
        service: String,
        port: Int?,
        path: String? = nil,
        transports: [Transport] = Transport.allCases,
        addresses: [BindAddress] = Configuration.defaultBindAddresses,
        bounds: StreamBounds = StreamBounds(),
        maximumConnections: Int? = nil,
        access: AccessPolicy = .everyone,
        options: [String: OptionValue] = [:],
        location: SourceLocation
    ) {
        self.index = index
        self.service = service
        self.port = port
        self.path = path
        self.transports = transports
        self.addresses = addresses
        self.bounds = bounds
        self.maximumConnections = maximumConnections
        self.access = access
        self.options = options
        self.location = location
    }

    public var keyPath: String { "services[\(self.index)]" }
}

public struct OptionValue: Sendable, Hashable {
    public var value: String
    public var location: SourceLocation

    public init(_ value: String, location: SourceLocation) {
        self.value = value
        self.location = location
    }
}

/// A numeric IP address to bind. `::` is the dual-stack wildcard: it takes IPv4 clients too, on every interface.
public struct BindAddress: Sendable, Hashable, Comparable, CustomStringConvertible {
    public enum Family: Sendable, Hashable {
        case ipv4
        case ipv6
    }

    public let family: Family
    /// The address in its canonical text form (`127.0.0.1`, `::1`).
    public let text: String

    /// Accepts IPv4 dotted quads and IPv6 literals (with or without brackets); nil for anything else.
    public init?(_ literal: String) {
        var body = Substring(literal)
        if body.hasPrefix("["), body.hasSuffix("]") {
            body = body.dropFirst().dropLast()
        }
        guard let (family, canonical) = IPAddressLiteral.canonical(String(body)) else { return nil }
        self.family = family
        self.text = canonical
    }

    public var isWildcard: Bool { self.text == "0.0.0.0" || self.text == "::" }

    /// `127.0.0.1:6013` or `[::1]:6013`.
    public func endpoint(port: Int) -> String {
        self.family == .ipv6 ? "[\(self.text)]:\(port)" : "\(self.text):\(port)"
    }

    public var description: String { self.text }

    public static func < (lhs: BindAddress, rhs: BindAddress) -> Bool {
        (lhs.family == .ipv4 ? 0 : 1, lhs.text) < (rhs.family == .ipv4 ? 0 : 1, rhs.text)
    }

    /// Whether binding both on one port and transport would collide: the same address, a wildcard of the same
    /// family, or the dual-stack `::`, which also holds every IPv4 address.
    public func overlaps(_ other: BindAddress) -> Bool {
        if self == other { return true }
        if self.text == "::" || other.text == "::" { return true }
        return self.family == other.family && (self.isWildcard || other.isWildcard)
    }

    public static let ipv4Loopback = BindAddress(uncheckedFamily: .ipv4, text: "127.0.0.1")
    public static let ipv6Loopback = BindAddress(uncheckedFamily: .ipv6, text: "::1")

    private init(uncheckedFamily family: Family, text: String) {
        self.family = family
        self.text = text
    }
}

/// The user and group a daemon started as root switches to once its sockets are open. Names, with their position
/// in the file; the daemon looks them up. Unset: `nobody`, and that user's primary group (`nogroup` on Debian).
public struct RunAs: Sendable, Hashable {
    public static let defaultUser = "nobody"

    public var user: OptionValue?
    public var group: OptionValue?

    public init(user: OptionValue? = nil, group: OptionValue? = nil) {
        self.user = user
        self.group = group
    }

    /// `user: root` written in the file: the only way to serve as root.
    public var staysRoot: Bool { self.user?.value == "root" }
}

/// Where a listener listens: an IP address and port, or an AF_UNIX socket path.
public enum ListenAddress: Sendable, Hashable, CustomStringConvertible {
    case ip(BindAddress, port: Int)
    case unix(path: String)

    /// `127.0.0.1:6013`, `[::1]:6013`, `/run/wellknownd/echo.sock`
    public var description: String {
        switch self {
        case .ip(let address, let port): return address.endpoint(port: port)
        case .unix(let path): return path
        }
    }

    /// Whether both could not be bound at once on one transport: overlapping IP addresses on the same port, or
    /// the same path (a path is taken whatever the socket type).
    public func collides(with other: ListenAddress, sameTransport: Bool) -> Bool {
        switch (self, other) {
        // Port 0 is a port the kernel picks: one of its own for every listener.
        case (.ip(let a, let p), .ip(let b, let q)): return sameTransport && p == q && p != 0 && a.overlaps(b)
        case (.unix(let a), .unix(let b)): return a == b
        default: return false
        }
    }
}

/// One socket the configuration asks for.
public struct Listener: Sendable, Hashable, CustomStringConvertible {
    public var service: String
    public var transport: Transport
    public var address: ListenAddress
    /// The `services` entry it comes from.
    public var entryIndex: Int

    public init(service: String, transport: Transport, address: ListenAddress, entryIndex: Int) {
        self.service = service
        self.transport = transport
        self.address = address
        self.entryIndex = entryIndex
    }

    /// `daytime/tcp 127.0.0.1:6013`, `echo/tcp /run/wellknownd/echo.sock`
    public var description: String {
        "\(self.service)/\(self.transport.rawValue) \(self.address)"
    }
}

extension Configuration {
    /// Every socket to open, in file order: per entry, per transport, per address.
    public var listeners: [Listener] {
        self.services.flatMap { entry in
            entry.transports.flatMap { transport in
                let addresses: [ListenAddress] =
                    if let path = entry.path {
                        [.unix(path: path)]
                    } else if let port = entry.port {
                        entry.addresses.map { .ip($0, port: port) }
                    } else {
                        []
                    }
                return addresses.map {
                    Listener(service: entry.service, transport: transport, address: $0, entryIndex: entry.index)
                }
            }
        }
    }
}
