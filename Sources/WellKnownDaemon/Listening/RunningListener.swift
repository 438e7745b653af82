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
    /// TCP over IP: each channel's socket as an `AcceptLoop` serves it while the route is a one-shot service
    /// (daytime, time), and the loop that does; empty where NIO accepts always (AF_UNIX, UDP).
    let oneShot: [(loop: AcceptLoop, listener: OneShotListener)]
    private let route: RouteBox
    private let logger: Logger
    /// Whether the listener was resumed, and whether its sockets are with their accept loops (their channels
    /// paused) rather than accepted by NIO.
    private let state = NIOLockedValueBox((resumed: false, handedOver: false))
    /// UDP: the generation of the handlers each channel's pipeline serves with (see `DatagramPipeline`).
    private let generations: NIOLockedValueBox<[Int]>

    init(
        key: ListenerKey,
        label: String,
        channels: [any Channel],
        datagramSockets: [BatchedDatagramSocket] = [],
        oneShot: [(loop: AcceptLoop, listener: OneShotListener)] = [],
        route: RouteBox,
        logger: Logger
    ) {
        self.key = key
        self.label = label
        self.channels = channels
        self.datagramSockets = datagramSockets
        self.oneShot = oneShot
        self.route = route
        self.logger = logger
        self.generations = NIOLockedValueBox(Array(repeating: 0, count: channels.count))
    }

    func close() async {
        // The accept loops let go of the sockets before NIO closes them: a descriptor number is reused at once.
        await self.takeBack()
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

    /// Starts accepting (TCP) or reading (UDP): listeners are opened paused. A one-shot service's sockets go to
    /// their accept loops, every other TCP socket is accepted by NIO.
    func resume() async throws {
        self.state.withLockedValue { $0.resumed = true }
        if !(await self.handOver(for: self.current)) {
            try await self.setAutoRead(true)
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
            for served in self.oneShot {
                served.listener.reroutes.advance()
            }
            try await self.moveAccepting(for: route)
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

    /// After a TCP reroute: the sockets go to their accept loops when the service became a one-shot one, and back to
    /// NIO when it stopped being one. Whoever accepts meanwhile serves the connection as the route in force says
    /// (`ReplyOnAccept` and the channel initializer on NIO's side).
    private func moveAccepting(for route: Route) async throws {
        let (resumed, handedOver) = self.state.withLockedValue { ($0.resumed, $0.handedOver) }
        guard resumed, !self.oneShot.isEmpty else { return }
        let oneShot = route.instance.replyOnConnect != nil
        if handedOver, !oneShot {
            await self.takeBack()
            try await self.setAutoRead(true)
        } else if !handedOver, oneShot {
            try await self.setAutoRead(false)
            if !(await self.handOver(for: route)) {
                try await self.setAutoRead(true)
            }
        }
    }

    /// Whether NIO accepts on the channels (a paused channel is out of its epoll).
    private func setAutoRead(_ on: Bool) async throws {
        for channel in self.channels {
            try await channel.setOption(.autoRead, value: on).get()
        }
    }

    /// Gives the sockets to their accept loops if `route` is a one-shot service and the listener has loops; false
    /// if NIO is to accept (also when a loop could not take its socket: NIO's path serves one-shot services too).
    private func handOver(for route: Route) async -> Bool {
        guard !self.oneShot.isEmpty, route.instance.replyOnConnect != nil else { return false }
        var added: [(loop: AcceptLoop, listener: OneShotListener)] = []
        do {
            for served in self.oneShot {
                try await served.loop.add(served.listener)
                added.append(served)
            }
        } catch {
            for served in added {
                await served.loop.remove(served.listener.fd)
            }
            self.logger.warning(
                "accept loop unavailable, NIO accepts instead",
                metadata: ["listener": "\(self.label)", "error": "\(error)"]
            )
            return false
        }
        self.state.withLockedValue { $0.handedOver = true }
        return true
    }

    /// Whether the accept loops have the sockets now (and NIO's accepts are paused).
    var acceptLoopsServe: Bool { self.state.withLockedValue { $0.handedOver } }

    /// Takes the sockets back from their accept loops; returns once no loop touches them.
    private func takeBack() async {
        guard self.state.withLockedValue({ $0.handedOver }) else { return }
        for served in self.oneShot {
            await served.loop.remove(served.listener.fd)
        }
        self.state.withLockedValue { $0.handedOver = false }
    }
}
