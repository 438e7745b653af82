import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOHTTP1
import NIOPosix
import WellKnownConfig
import WellKnownLogging

/// The listening sockets of the metrics endpoint (one per `bind:` address, or the socket systemd passed as
/// `metrics`), served on the daemon's event loops. A reload that keeps the addresses and port keeps the sockets
/// and changes the path, the timeout and the limits in place; scrape connections are admitted by a gate of their
/// own, so that scrapers never compete with the services' clients for places, nor the other way round.
final class MetricsEndpoint: Sendable {
    struct Settings: Sendable {
        var path: String
        var timeout: TimeAmount
    }

    /// What it was opened for: a reload compares its `metrics:` with this.
    let configuration: MetricsConfiguration
    /// Passed by systemd: kept whatever `bind:` and `port:` say.
    let inherited: Bool
    let channels: [any Channel]
    private let settings: NIOLockedValueBox<Settings>
    private let gate: ConnectionGate

    private init(
        configuration: MetricsConfiguration,
        inherited: Bool,
        channels: [any Channel],
        settings: NIOLockedValueBox<Settings>,
        gate: ConnectionGate
    ) {
        self.configuration = configuration
        self.inherited = inherited
        self.channels = channels
        self.settings = settings
        self.gate = gate
    }

    /// `http://127.0.0.1:9113/metrics`, one per socket, as the logs name them.
    var urls: [String] {
        let path = self.settings.withLockedValue { $0.path }
        return self.channels.map { "http://\($0.localAddress?.logDescription ?? "?")\(path)" }
    }

    /// The port really bound (the kernel's choice for `port: 0`).
    var boundPort: Int? { self.channels.first?.localAddress?.port }

    /// Whether a reload to `configuration` can keep these sockets: the same addresses and port (a `port: 0`
    /// endpoint keeps the port it got), or sockets systemd passed.
    func canServe(_ configuration: MetricsConfiguration) -> Bool {
        if self.inherited { return true }
        return configuration.addresses == self.configuration.addresses
            && configuration.port == self.configuration.port
    }

    /// Path, timeout and limits of a reload that keeps the sockets. Connections already open keep theirs.
    func update(_ configuration: MetricsConfiguration) {
        self.settings.withLockedValue { $0 = Self.settings(configuration) }
        self.gate.update(limits: Self.limits(configuration))
    }

    func resume() async throws {
        for channel in self.channels {
            try await channel.setOption(.autoRead, value: true).get()
        }
    }

    func close() async {
        for channel in self.channels {
            try? await channel.close()
        }
    }

    private static func settings(_ configuration: MetricsConfiguration) -> Settings {
        Settings(path: configuration.path, timeout: TimeAmount(configuration.timeout))
    }

    /// The gate's limits: the endpoint's two counts, and an accept rate no scraper comes near.
    private static func limits(_ configuration: MetricsConfiguration) -> ConnectionLimits {
        ConnectionLimits(
            connections: configuration.maximumConnections,
            perSourceConnections: configuration.perSourceConnections,
            perSourceAcceptRate: 100,
            perSourceAcceptBurst: 200
        )
    }

    /// Binds every address of `configuration`, paused. `port: 0` takes the kernel's pick on the first address and
    /// the same port on the others (tried again with a new pick if another socket has it there).
    static func bind(
        _ configuration: MetricsConfiguration,
        group: any EventLoopGroup,
        metrics: DaemonMetrics,
        render: @escaping @Sendable () -> [UInt8],
        logger: Logger
    ) async throws -> MetricsEndpoint {
        let settings = NIOLockedValueBox(Self.settings(configuration))
        let gate = ConnectionGate(limits: Self.limits(configuration))
        let bootstrap = Self.bootstrap(group, settings, gate, metrics, render, logger)
        var lastError: (any Error)?
        for _ in 0..<(configuration.port == 0 ? 5 : 1) {
            var channels: [any Channel] = []
            do {
                var port = configuration.port
                for address in configuration.addresses {
                    let socketAddress = try SocketAddress(ipAddress: address.text, port: port)
                    var addressBootstrap = bootstrap
                    if let v6only = ListenerFactory.v6only(for: address) {
                        addressBootstrap = addressBootstrap.serverChannelOption(ListenerFactory.ipv6Only, value: v6only)
                    }
                    let channel = try await addressBootstrap.bind(to: socketAddress).get()
                    channels.append(channel)
                    port = channel.localAddress?.port ?? port
                }
                return MetricsEndpoint(
                    configuration: configuration,
                    inherited: false,
                    channels: channels,
                    settings: settings,
                    gate: gate
                )
            } catch {
                for channel in channels {
                    try? await channel.close()
                }
                lastError = error
            }
        }
        throw MetricsEndpointError(
            "metrics: could not listen on \(configuration.listenAddresses.map(\.description).joined(separator: ", ")): "
                + "\(lastError.map { "\($0)" } ?? "no address")"
        )
    }

    /// Serves a TCP listener systemd passed (`FileDescriptorName=metrics`), paused.
    static func adopt(
        _ socket: InheritedSocket,
        configuration: MetricsConfiguration,
        group: any EventLoopGroup,
        metrics: DaemonMetrics,
        render: @escaping @Sendable () -> [UInt8],
        logger: Logger
    ) async throws -> MetricsEndpoint {
        let settings = NIOLockedValueBox(Self.settings(configuration))
        let gate = ConnectionGate(limits: Self.limits(configuration))
        let channel: any Channel
        do {
            channel = try await Self.bootstrap(group, settings, gate, metrics, render, logger)
                .withBoundSocket(socket.fd).get()
            ListenerFactory.restoreBacklog(of: socket)
        } catch {
            throw MetricsEndpointError("\(socket) could not be served as the metrics endpoint: \(error)")
        }
        return MetricsEndpoint(
            configuration: configuration,
            inherited: true,
            channels: [channel],
            settings: settings,
            gate: gate
        )
    }

    private static func bootstrap(
        _ group: any EventLoopGroup,
        _ settings: NIOLockedValueBox<Settings>,
        _ gate: ConnectionGate,
        _ metrics: DaemonMetrics,
        _ render: @escaping @Sendable () -> [UInt8],
        _ logger: Logger
    ) -> ServerBootstrap {
        let admission = EntryAdmission(key: "metrics")
        return ServerBootstrap(group: group)
            // Opened paused, as every listener: nothing is accepted before privileges are dropped.
            .serverChannelOption(.autoRead, value: false)
            .serverChannelOption(.backlog, value: 128)
            .serverChannelOption(.socketOption(.so_reuseaddr), value: 1)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    let pipeline = channel.pipeline.syncOperations
                    let client = channel.remoteAddress
                    if let refusal = gate.admit(admission, source: client) {
                        metrics.request("refused")
                        logger.debug(
                            "metrics connection refused",
                            metadata: ["client": "\(client?.logDescription ?? "?")", "reason": "\(refusal.rawValue)"]
                        )
                        try pipeline.addHandler(RefusedConnectionHandler())
                        return
                    }
                    let current = settings.withLockedValue { $0 }
                    let answered: @Sendable (String) -> Void = { metrics.request($0) }
                    try pipeline.addHandler(
                        MetricsConnectionBounds(
                            timeout: current.timeout,
                            answered: answered,
                            released: { gate.release(admission, source: client) }
                        )
                    )
                    try pipeline.addHandler(HTTPResponseEncoder())
                    try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
                    try pipeline.addHandler(
                        MetricsHTTPHandler(path: current.path, render: render, answered: answered, logger: logger)
                    )
                }
            }
    }
}
