import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals
import WellKnownConfig
import WellKnownServices

/// The daemon as a `Service`: serves the inherited sockets and binds the rest, tells systemd when it is ready,
/// serves until graceful shutdown, then stops accepting, lets open connections finish for the grace period,
/// closes the rest, and logs a summary.
final class Daemon: Service {
    private let prepared: PreparedConfiguration
    private let plan: ActivationPlan
    private let group: any EventLoopGroup
    private let logger: Logger
    private let notifier: SystemdNotifier
    private let reread: @Sendable () throws(ConfigurationErrors) -> PreparedConfiguration
    private let registry = ConnectionRegistry()
    private let counters: CounterTable
    private let datagramGuard: DatagramGuardState
    private let connectionGate: ConnectionGate
    private static let statusInterval: Duration = .seconds(5)

    init(
        prepared: PreparedConfiguration,
        plan: ActivationPlan,
        group: any EventLoopGroup,
        logger: Logger,
        notifier: SystemdNotifier,
        reread: @escaping @Sendable () throws(ConfigurationErrors) -> PreparedConfiguration
    ) {
        self.prepared = prepared
        self.plan = plan
        self.group = group
        self.logger = logger
        self.notifier = notifier
        self.reread = reread
        self.counters = CounterTable(listeners: prepared.listeners)
        // Our own UDP ports, configured or inherited: datagrams from them are loops or reflections.
        var ownPorts = Set(
            prepared.listeners.compactMap { listener -> Int? in
                guard listener.transport == .udp, case .ip(_, let port) = listener.address else { return nil }
                return port
            }
        )
        for adoption in plan.adopted where adoption.socket.kind == .udp {
            if let port = adoption.socket.port { ownPorts.insert(port) }
        }
        self.datagramGuard = DatagramGuardState(settings: prepared.configuration.udpGuard, ownPorts: ownPorts)
        self.connectionGate = ConnectionGate(
            limits: prepared.configuration.limits,
            entryLimits: Dictionary(
                uniqueKeysWithValues: prepared.configuration.services.compactMap { entry in
                    entry.maximumConnections.map { (entry.index, $0) }
                }
            ),
            entryAccess: Dictionary(
                uniqueKeysWithValues: prepared.configuration.services.map { ($0.index, $0.access) }
            )
        )
    }

    func run() async throws {
        let started = ContinuousClock.now
        let channels = try await self.openListeners()
        let listeners =
            self.plan.adopted.map {
                "\($0.service)/\($0.transport.rawValue) \($0.socket.localAddress?.logDescription ?? "?") (fd \($0.socket.fd))"
            } + self.plan.toBind.map(\.description)
        self.logger.info(
            "started",
            metadata: [
                "version": "\(WellKnownd.version)",
                "config": "\(self.prepared.configuration.source)",
                "listeners": "\(listeners.joined(separator: ", "))",
            ]
        )
        self.notifier.ready(status: self.statusLine(listeners: channels.count))

        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await self.handleSignals() }
            tasks.addTask { await self.refreshStatus(listeners: channels.count) }
            let configuration = self.prepared.configuration
            tasks.addTask {
                await self.summarise(
                    self.datagramGuard.drops,
                    every: configuration.udpGuard.dropLogInterval,
                    as: "dropped datagrams",
                    exampleKey: "first_source"
                )
            }
            tasks.addTask {
                await self.summarise(
                    self.connectionGate.refusals,
                    every: configuration.limits.refusalLogInterval,
                    as: "refused connections",
                    exampleKey: "first"
                )
            }
            if let interval = self.notifier.watchdogInterval {
                tasks.addTask { await self.keepWatchdogFed(every: interval) }
            }
            try? await gracefulShutdown()
            tasks.cancelAll()
        }

        self.notifier.stopping()
        let grace = self.prepared.configuration.gracePeriod
        // Listen for a second SIGTERM or SIGINT before anything else: one that arrived before this sequence existed
        // would be lost (the first trap left the signals ignored), and signals after it are buffered.
        let secondSignal = await UnixSignalsSequence(trapping: .sigterm, .sigint)
        // Stop accepting first: once the line below is logged, no new connection can arrive.
        for channel in channels {
            try? await channel.close()
        }
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

        var summary = self.counters.summary
        summary["uptime"] = .stringConvertible(LogSeconds(TimeAmount(started.duration(to: .now))))
        self.logger.info("stopped", metadata: summary)
    }

    /// Adopts the sockets systemd passed, then binds the listeners no inherited socket covers. On any failure
    /// everything opened so far is closed again.
    private func openListeners() async throws -> [any Channel] {
        let factory = ListenerFactory(
            group: self.group,
            registry: self.registry,
            counters: self.counters,
            logger: self.logger,
            datagramGuard: self.datagramGuard,
            connectionGate: self.connectionGate,
            configuration: self.prepared.configuration
        )
        var channels: [any Channel] = []
        do {
            for adoption in self.plan.adopted {
                guard let instance = self.prepared.instance(forEntry: adoption.entryIndex) else { continue }
                channels.append(try await factory.adopt(adoption, instance: instance))
            }
            for listener in self.plan.toBind {
                guard let instance = self.prepared.instance(forEntry: listener.entryIndex) else { continue }
                channels.append(try await factory.bind(listener, instance: instance))
            }
        } catch {
            for channel in channels {
                try? await channel.close()
            }
            throw error
        }
        return channels
    }

    /// One line for `systemctl status`.
    private func statusLine(listeners: Int) -> String {
        let summary = self.counters.summary
        func value(_ key: String) -> String { summary[key].map { "\($0)" } ?? "0" }
        return "\(listeners) listeners; \(value("connections_open")) connections open; "
            + "\(value("connections")) connections, \(value("datagrams")) datagrams served"
    }

    private func refreshStatus(listeners: Int) async {
        guard self.notifier.isEnabled else { return }
        while (try? await Task.sleep(for: Self.statusInterval)) != nil {
            self.notifier.status(self.statusLine(listeners: listeners))
        }
    }

    /// One warning per reason and period, with the first example, for what a tally counted: dropped datagrams and
    /// refused connections are never logged one line each.
    private func summarise<Reason: RawRepresentable<String>>(
        _ tally: ReasonTally<Reason>,
        every interval: Duration,
        as message: Logger.Message,
        exampleKey: String
    ) async {
        while (try? await Task.sleep(for: interval)) != nil {
            for entry in tally.take() {
                self.logger.warning(
                    message,
                    metadata: [
                        "reason": "\(entry.reason.rawValue)",
                        "count": .stringConvertible(entry.count),
                        exampleKey: "\(entry.example)",
                        "period": .stringConvertible(LogSeconds(TimeAmount(interval))),
                    ]
                )
            }
        }
    }

    private func keepWatchdogFed(every interval: Duration) async {
        self.notifier.watchdog()
        while (try? await Task.sleep(for: interval)) != nil {
            self.notifier.watchdog()
        }
    }

    /// SIGUSR1 logs the counters. SIGHUP re-reads the configuration: a bad one is reported with every error and
    /// changes nothing; applying a good one without a restart comes with live reload.
    private func handleSignals() async {
        for await signal in await UnixSignalsSequence(trapping: .sigusr1, .sighup) {
            if signal == .sigusr1 {
                self.logger.info("counters", metadata: self.counters.summary)
            } else {
                self.reload()
            }
        }
    }

    private func reload() {
        self.notifier.reloading()
        do {
            let fresh = try self.reread()
            let changed = fresh.configuration != self.prepared.configuration
            self.logger.notice(
                "configuration re-read",
                metadata: [
                    "config": "\(fresh.configuration.source)",
                    "changed": "\(changed)",
                    "applied": "false",
                    "note": "live reload is not implemented yet: restart to apply changes",
                ]
            )
        } catch {
            for problem in error.errors {
                self.logger.error("configuration rejected", metadata: ["problem": "\(problem)"])
            }
            self.logger.error(
                "reload failed: still serving the configuration in force",
                metadata: ["problems": .stringConvertible(error.errors.count)]
            )
        }
        self.notifier.ready(status: self.statusLine(listeners: self.plan.adopted.count + self.plan.toBind.count))
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
