import Logging
import NIOCore

/// An open listening socket and what it serves.
final class RunningListener: Sendable {
    let key: ListenerKey
    /// `daytime/tcp 127.0.0.1:6013`, or for an inherited socket `daytime/tcp 127.0.0.1:6013 (fd 3)`.
    let label: String
    /// One socket per event loop for an IP address the daemon binds (SO_REUSEPORT: the kernel spreads connections
    /// and datagrams over them, and a connection stays on the loop that accepted it); one for an inherited socket
    /// or an AF_UNIX path.
    let channels: [any Channel]
    private let route: RouteBox
    private let logger: Logger

    init(key: ListenerKey, label: String, channels: [any Channel], route: RouteBox, logger: Logger) {
        self.key = key
        self.label = label
        self.channels = channels
        self.route = route
        self.logger = logger
    }

    func close() async {
        for channel in self.channels {
            try? await channel.close()
        }
    }

    var current: Route { self.route.withLockedValue { $0 } }

    /// Starts accepting (TCP) or reading (UDP): listeners are opened paused.
    func resume() async throws {
        for channel in self.channels {
            try await channel.setOption(.autoRead, value: true).get()
        }
    }

    /// Serves `route` from now on. Open TCP connections keep the handlers they started with; a UDP socket swaps its
    /// pipeline between two datagrams.
    func reroute(_ route: Route) async throws {
        self.route.withLockedValue { $0 = route }
        guard route.transport == .udp else { return }
        let logger = self.logger
        for channel in self.channels {
            try await channel.eventLoop.submit {
                let pipeline = channel.pipeline.syncOperations
                for name in DatagramPipeline.names(in: pipeline) {
                    _ = pipeline.removeHandler(name: name)
                }
                try DatagramPipeline.install(route, on: pipeline, logger: logger)
            }.get()
        }
    }
}
