import Logging
import NIOConcurrencyHelpers
import NIOCore

/// An open listening socket and what it serves.
final class RunningListener: Sendable {
    let key: ListenerKey
    /// `daytime/tcp 127.0.0.1:6013`, or for an inherited socket `daytime/tcp 127.0.0.1:6013 (fd 3)`: the address
    /// really bound (a `port: 0` entry shows the port the kernel chose).
    let label: String
    /// One socket per event loop for an IP address the daemon binds (SO_REUSEPORT: the kernel spreads connections
    /// and datagrams over them, and a connection stays on the loop that accepted it); one for an inherited socket
    /// or an AF_UNIX path.
    let channels: [any Channel]
    /// UDP over IP: the sockets `DatagramLoop`s serve, one per loop (or the one inherited), instead of channels.
    let datagramSockets: [BatchedDatagramSocket]
    private let route: RouteBox
    private let logger: Logger
    /// UDP: the generation of the handlers each channel's pipeline serves with (see `DatagramPipeline`).
    private let generations: NIOLockedValueBox<[Int]>

    init(
        key: ListenerKey,
        label: String,
        channels: [any Channel],
        datagramSockets: [BatchedDatagramSocket] = [],
        route: RouteBox,
        logger: Logger
    ) {
        self.key = key
        self.label = label
        self.channels = channels
        self.datagramSockets = datagramSockets
        self.route = route
        self.logger = logger
        self.generations = NIOLockedValueBox(Array(repeating: 0, count: channels.count))
    }

    func close() async {
        for channel in self.channels {
            try? await channel.close()
        }
        for socket in self.datagramSockets {
            await socket.close()
        }
    }

    var current: Route { self.route.withLockedValue { $0 } }

    /// The socket as a reload plans with it: its key and the address it really holds.
    var held: ReloadPlan.Open {
        guard case .picked(_, .ip(let address, _), _, _) = self.key, let port = self.boundPort else {
            return ReloadPlan.Open(key: self.key, address: self.key.address)
        }
        return ReloadPlan.Open(key: self.key, address: .ip(address, port: port))
    }

    /// The port really bound (the kernel's choice for `port: 0`); nil for AF_UNIX.
    var boundPort: Int? { self.localAddress?.port }

    /// The address of the listener's first socket (they all share it).
    var localAddress: SocketAddress? { self.channels.first?.localAddress ?? self.datagramSockets.first?.localAddress }

    /// Starts accepting (TCP) or reading (UDP): listeners are opened paused.
    func resume() async throws {
        for channel in self.channels {
            try await channel.setOption(.autoRead, value: true).get()
        }
        for socket in self.datagramSockets {
            try await socket.resume()
        }
    }

    /// Serves `route` from now on, or, if that fails, goes on serving the route it had: either every channel
    /// serves the new route, or none does. Open TCP connections keep the handlers they started with (a TCP
    /// listener only changes what it gives new connections); a UDP socket swaps its handlers between two
    /// datagrams, and a `DatagramLoop`'s socket its service between two batches (which cannot fail).
    func reroute(_ route: Route) async throws {
        guard route.transport == .udp, !self.channels.isEmpty else {
            for socket in self.datagramSockets {
                socket.reroute(route)
            }
            self.route.withLockedValue { $0 = route }
            return
        }
        let old = self.current
        var swapped: [Int] = []
        do {
            for index in self.channels.indices {
                try await self.swap(channel: index, to: route)
                swapped.append(index)
            }
        } catch {
            for index in swapped {
                do {
                    try await self.swap(channel: index, to: old)
                } catch {
                    self.logger.error(
                        "reload: a socket could not be given its old service back",
                        metadata: ["listener": "\(self.label)", "error": "\(error)"]
                    )
                }
            }
            throw error
        }
        self.route.withLockedValue { $0 = route }
    }

    private func swap(channel index: Int, to route: Route) async throws {
        let channel = self.channels[index]
        let logger = self.logger
        let old = self.generations.withLockedValue { $0[index] }
        try await channel.eventLoop.submit {
            try DatagramPipeline.swap(
                to: route,
                on: channel.pipeline.syncOperations,
                logger: logger,
                generation: old + 1,
                replacing: old
            )
        }.get()
        self.generations.withLockedValue { $0[index] = old + 1 }
    }
}
