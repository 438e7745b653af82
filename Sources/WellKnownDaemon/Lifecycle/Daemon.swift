import Logging
import NIOConcurrencyHelpers
import NIOCore
import ServiceLifecycle
import UnixSignals
import WellKnownConfig
import WellKnownLogging

/// The daemon as a `Service`: serves the inherited sockets and binds the rest, tells systemd when it is ready,
/// applies a new configuration on SIGHUP without dropping what it keeps, serves until graceful shutdown, then
/// stops accepting, lets open connections finish for the grace period, closes the rest, and logs a summary.
final class Daemon: Service {
    let initial: (prepared: PreparedConfiguration, plan: ActivationPlan)
    let group: any EventLoopGroup
    let logger: Logger
    let notifier: SystemdNotifier
    let reread: @Sendable () throws(ConfigurationErrors) -> PreparedConfiguration
    let registry = ConnectionRegistry()
    let counters: CounterTable
    let metrics: DaemonMetrics
    let drops = ReasonTally<DatagramDropReason>()
    let connectionGate: ConnectionGate
    /// The threads that serve every UDP socket on an IP address (AF_UNIX datagram sockets have NIO's channels).
    let datagramLoops: DatagramLoops
    /// The threads that accept and answer the connections of one-shot services (daytime, time) on IP addresses.
    let acceptLoops: AcceptLoops
    let serving = NIOLockedValueBox<Serving?>(nil)
    static let statusInterval: Duration = .seconds(5)

    init(
        prepared: PreparedConfiguration,
        plan: ActivationPlan,
        group: any EventLoopGroup,
        logger: Logger,
        notifier: SystemdNotifier,
        reread: @escaping @Sendable () throws(ConfigurationErrors) -> PreparedConfiguration
    ) {
        self.initial = (prepared, plan)
        self.group = group
        self.logger = logger
        self.notifier = notifier
        self.reread = reread
        self.metrics = DaemonMetrics(version: WellKnownd.version)
        self.counters = CounterTable(listeners: prepared.listeners, factory: self.metrics.factory)
        self.connectionGate = ConnectionGate(limits: prepared.configuration.limits)
        // One datagram loop and one accept loop per event loop, as each IP address gets one socket per event loop.
        let loops = Array(group.makeIterator()).count
        self.datagramLoops = DatagramLoops(count: loops, logger: logger)
        self.acceptLoops = AcceptLoops(count: loops, logger: logger)
    }

    var current: Serving? { self.serving.withLockedValue { $0 } }

    var factory: ListenerFactory {
        ListenerFactory(
            group: self.group,
            registry: self.registry,
            logger: self.logger,
            connectionGate: self.connectionGate,
            datagramLoops: self.datagramLoops,
            acceptLoops: self.acceptLoops
        )
    }

    func run() async throws {
        let started = ContinuousClock.now
        let (prepared, plan) = self.initial
        let maxFiles = DescriptorLimit.raise()
        let picked = try PortPicker.pick(for: prepared.configuration)
        let datagramGuard = self.datagramGuard(for: prepared, plan: plan, picked: picked, replacing: nil)
        let listeners = try await self.open(
            self.wanted(prepared, plan: plan, picked: picked, datagramGuard: datagramGuard)
        )
        let metricsEndpoint: MetricsEndpoint?
        do {
            metricsEndpoint = try await self.openMetrics(prepared.configuration.metrics, plan: plan)
        } catch {
            await Self.close(listeners)
            throw error
        }
        // Every socket is open and paused: drop root before reading a byte from any of them.
        do {
            try self.dropPrivileges(to: prepared.identity)
            for listener in listeners {
                try await listener.resume()
            }
            // Served, then scrapable: a scrape before `serving` is set would find no listeners (an inherited
            // endpoint can have a request waiting from the start).
            self.serving.withLockedValue {
                $0 = Serving(
                    prepared: prepared,
                    plan: plan,
                    listeners: listeners,
                    datagramGuard: datagramGuard,
                    metrics: metricsEndpoint
                )
            }
            try await metricsEndpoint?.resume()
        } catch {
            self.serving.withLockedValue { $0 = nil }
            await Self.close(listeners)
            await metricsEndpoint?.close()
            throw error
        }
        self.metrics.applied(reload: false)
        var startedMetadata: Logger.Metadata = [
            "version": "\(WellKnownd.version)",
            "config": "\(prepared.configuration.source)",
            "max_files": .stringConvertible(maxFiles),
            "listeners": "\(listeners.map(\.label).joined(separator: ", "))",
        ]
        if let metricsEndpoint {
            startedMetadata["metrics"] = "\(metricsEndpoint.urls.joined(separator: ", "))"
        }
        self.logger.info("started", metadata: startedMetadata)
        self.notifier.ready(status: self.statusLine())

        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await self.handleSignals() }
            tasks.addTask { await self.refreshStatus() }
            tasks.addTask {
                await self.summarise(
                    self.drops,
                    every: { self.current?.prepared.configuration.udpGuard.dropLogInterval ?? .seconds(10) },
                    as: "dropped datagrams",
                    exampleKey: "first_source"
                )
            }
            tasks.addTask {
                await self.summarise(
                    self.connectionGate.refusals,
                    every: { self.connectionGate.limits.refusalLogInterval },
                    as: "refused connections",
                    exampleKey: "first"
                )
            }
            if let interval = self.notifier.watchdogInterval {
                tasks.addTask { await self.keepWatchdogFed(every: interval) }
            }
            try? await gracefulShutdown()
            // A reload under way finishes first: the signal task ends after it, and the group waits for it.
            tasks.cancelAll()
        }

        self.notifier.stopping()
        let final = self.current
        let grace = final?.prepared.configuration.gracePeriod ?? prepared.configuration.gracePeriod
        // Listen for a second SIGTERM or SIGINT before anything else: one that arrived before this sequence existed
        // would be lost (the first trap left the signals ignored), and signals after it are buffered.
        let secondSignal = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        // Stop accepting first: once the line below is logged, no new connection can arrive.
        await Self.close(final?.listeners ?? [])
        self.logger.info(
            "shutting down",
            metadata: [
                "connections_open": .stringConvertible(self.registry.count),
                "grace_period": .stringConvertible(LogSeconds(TimeAmount(grace))),
            ]
        )
        // Open connections get the grace period, unless a second SIGTERM or SIGINT says not to wait.
        await withTaskGroup(of: Void.self) { drain in
            drain.addTask { await self.registry.drain(gracePeriod: grace) }
            drain.addTask {
                for await _ in secondSignal {
                    self.logger.notice(
                        "second signal: closing open connections now",
                        metadata: ["connections_open": .stringConvertible(self.registry.count)]
                    )
                    await self.registry.drain(gracePeriod: .zero)
                    return
                }
            }
            await drain.next()
            drain.cancelAll()
        }

        // The endpoint served through the grace period, so that a scrape could watch the connections drain.
        await final?.metrics?.close()
        var summary = self.summary
        summary["uptime"] = .stringConvertible(LogSeconds(TimeAmount(started.duration(to: .now))))
        self.logger.info("stopped", metadata: summary)
    }

    func dropPrivileges(to identity: ServingIdentity) throws(Privileges.DropError) {
        switch try Privileges.drop(to: identity) {
        case .notRoot:
            break
        case .stayedRoot:
            self.logger.warning("serving as root, as the configuration says (user: root)")
        case .dropped(let credentials):
            self.logger.notice(
                "privileges dropped",
                metadata: [
                    "user": "\(credentials.user)", "uid": "\(credentials.uid)",
                    "group": "\(credentials.group)", "gid": "\(credentials.gid)",
                ]
            )
            // A reload reads the file again as this user: say now, not at the first SIGHUP, that it cannot.
            let config = self.initial.prepared.configuration.source
            if !Privileges.canRead(config) {
                self.logger.warning(
                    "the configuration cannot be read by the user the daemon now runs as: reloads will fail",
                    metadata: ["config": "\(config)", "user": "\(credentials.user)", "uid": "\(credentials.uid)"]
                )
            }
        }
    }

    /// Opens every socket in `wanted`. On any failure everything opened so far is closed again.
    func open(_ wanted: [WantedListener]) async throws -> [RunningListener] {
        var listeners: [RunningListener] = []
        do {
            for item in wanted {
                listeners.append(try await self.open(item))
            }
        } catch {
            await Self.close(listeners)
            throw error
        }
        return listeners
    }

    func open(_ wanted: WantedListener) async throws -> RunningListener {
        switch wanted.source {
        case .bind(let listener): return try await self.factory.bind(listener, route: wanted.route, key: wanted.key)
        case .adopt(let socket): return try await self.factory.adopt(socket, route: wanted.route)
        }
    }

    static func close(_ listeners: [RunningListener]) async {
        for listener in listeners {
            await listener.close()
        }
    }

}
