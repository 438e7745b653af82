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
    /// What is being served now; replaced as a whole by a successful reload.
    private struct Serving: Sendable {
        var prepared: PreparedConfiguration
        var plan: ActivationPlan
        var listeners: [RunningListener]
        var datagramGuard: DatagramGuardState
    }

    /// A socket a configuration wants, and how to open it if it is not open yet.
    private struct Wanted: Sendable {
        enum Source: Sendable {
            case bind(Listener)
            case adopt(InheritedSocket)
        }
        let key: ListenerKey
        let source: Source
        let route: Route
    }

    private let initial: (prepared: PreparedConfiguration, plan: ActivationPlan)
    private let group: any EventLoopGroup
    private let logger: Logger
    private let notifier: SystemdNotifier
    private let reread: @Sendable () throws(ConfigurationErrors) -> PreparedConfiguration
    private let registry = ConnectionRegistry()
    private let counters: CounterTable
    private let drops = ReasonTally<DatagramDropReason>()
    private let connectionGate: ConnectionGate
    private let serving = NIOLockedValueBox<Serving?>(nil)
    private static let statusInterval: Duration = .seconds(5)

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
        self.counters = CounterTable(listeners: prepared.listeners)
        self.connectionGate = ConnectionGate(limits: prepared.configuration.limits)
    }

    private var current: Serving? { self.serving.withLockedValue { $0 } }

    private var factory: ListenerFactory {
        ListenerFactory(
            group: self.group,
            registry: self.registry,
            logger: self.logger,
            connectionGate: self.connectionGate
        )
    }

    func run() async throws {
        let started = ContinuousClock.now
        let (prepared, plan) = self.initial
        let maxFiles = DescriptorLimit.raise()
        let datagramGuard = self.datagramGuard(for: prepared, plan: plan, replacing: nil)
        let listeners = try await self.open(self.wanted(prepared, plan: plan, datagramGuard: datagramGuard))
        // Every socket is open and paused: drop root before reading a byte from any of them.
        do {
            try self.dropPrivileges(to: prepared.identity)
            for listener in listeners {
                try await listener.resume()
            }
        } catch {
            await Self.close(listeners)
            throw error
        }
        self.serving.withLockedValue {
            $0 = Serving(prepared: prepared, plan: plan, listeners: listeners, datagramGuard: datagramGuard)
        }
        self.logger.info(
            "started",
            metadata: [
                "version": "\(WellKnownd.version)",
                "config": "\(prepared.configuration.source)",
                "max_files": .stringConvertible(maxFiles),
                "listeners": "\(listeners.map(\.label).joined(separator: ", "))",
            ]
        )
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

        var summary = self.summary
        summary["uptime"] = .stringConvertible(LogSeconds(TimeAmount(started.duration(to: .now))))
        self.logger.info("stopped", metadata: summary)
    }

    private func dropPrivileges(to identity: ServingIdentity) throws(Privileges.DropError) {
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
        }
    }

    /// The UDP guard for a configuration: our own UDP ports, configured or inherited, are refused as sources
    /// (datagrams from them are loops or reflections). The current guard, with its buckets, is kept if nothing it
    /// depends on changed.
    private func datagramGuard(
        for prepared: PreparedConfiguration,
        plan: ActivationPlan,
        replacing current: DatagramGuardState?
    ) -> DatagramGuardState {
        var ownPorts = Set(
            prepared.listeners.compactMap { listener -> Int? in
                guard listener.transport == .udp, case .ip(_, let port) = listener.address else { return nil }
                return port
            }
        )
        for adoption in plan.adopted where adoption.socket.kind == .udp {
            if let port = adoption.socket.port { ownPorts.insert(port) }
        }
        let settings = prepared.configuration.udpGuard
        if let current, current.settings == settings, current.ownPorts == ownPorts {
            return current
        }
        return DatagramGuardState(settings: settings, ownPorts: ownPorts, drops: self.drops)
    }

    /// Every socket a configuration wants, in the order of the plan: inherited ones first, then those to bind.
    private func wanted(
        _ prepared: PreparedConfiguration,
        plan: ActivationPlan,
        datagramGuard: DatagramGuardState
    ) -> [Wanted] {
        func route(entry index: Int, transport: Transport, guarded: Bool) -> Route? {
            guard let entry = prepared.configuration.services.first(where: { $0.index == index }),
                let instance = prepared.instance(forEntry: index)
            else { return nil }
            return Route(
                service: entry.service,
                transport: transport,
                instance: instance,
                admission: EntryAdmission(entry),
                bounds: entry.bounds,
                counters: self.counters.counters(service: entry.service, transport: transport),
                datagramGuard: transport == .udp && guarded ? datagramGuard : nil
            )
        }
        var wanted: [Wanted] = []
        for adoption in plan.adopted {
            let guarded = adoption.socket.kind == .udp
            if let route = route(entry: adoption.entryIndex, transport: adoption.transport, guarded: guarded) {
                wanted.append(
                    Wanted(key: .inherited(fd: adoption.socket.fd), source: .adopt(adoption.socket), route: route)
                )
            }
        }
        for listener in plan.toBind {
            let guarded = if case .ip = listener.address { true } else { false }
            if let route = route(entry: listener.entryIndex, transport: listener.transport, guarded: guarded) {
                wanted.append(
                    Wanted(key: .bound(listener.transport, listener.address), source: .bind(listener), route: route)
                )
            }
        }
        return wanted
    }

    /// Opens every socket in `wanted`. On any failure everything opened so far is closed again.
    private func open(_ wanted: [Wanted]) async throws -> [RunningListener] {
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

    private func open(_ wanted: Wanted) async throws -> RunningListener {
        switch wanted.source {
        case .bind(let listener): return try await self.factory.bind(listener, route: wanted.route)
        case .adopt(let socket): return try await self.factory.adopt(socket, route: wanted.route)
        }
    }

    private static func close(_ listeners: [RunningListener]) async {
        for listener in listeners {
            await listener.close()
        }
    }

    /// The counters, with refusals and drops by reason since the start.
    private var summary: Logger.Metadata {
        var summary = self.counters.summary
        summary["connections_refused_by_reason"] = "\(self.connectionGate.refusals.totalsByReason)"
        summary["datagrams_dropped_by_reason"] = "\(self.drops.totalsByReason)"
        return summary
    }

    /// One line for `systemctl status`.
    private func statusLine() -> String {
        let summary = self.counters.summary
        func value(_ key: String) -> String { summary[key].map { "\($0)" } ?? "0" }
        let listeners = self.current?.listeners.count ?? 0
        return "\(listeners) listeners; \(value("connections_open")) connections open; "
            + "\(value("connections")) connections, \(value("datagrams")) datagrams served; "
            + "\(value("connections_refused")) connections refused, \(value("datagrams_dropped")) datagrams dropped"
    }

    private func refreshStatus() async {
        guard self.notifier.isEnabled else { return }
        while (try? await Task.sleep(for: Self.statusInterval)) != nil {
            self.notifier.status(self.statusLine())
        }
    }

    /// One warning per reason and period, with the first example, for what a tally counted: dropped datagrams and
    /// refused connections are never logged one line each.
    private func summarise<Reason: RawRepresentable<String>>(
        _ tally: ReasonTally<Reason>,
        every interval: @Sendable () -> Duration,
        as message: Logger.Message,
        exampleKey: String
    ) async {
        var period = interval()
        while (try? await Task.sleep(for: period)) != nil {
            for entry in tally.take() {
                self.logger.warning(
                    message,
                    metadata: [
                        "reason": "\(entry.reason.rawValue)",
                        "count": .stringConvertible(entry.count),
                        exampleKey: "\(entry.example)",
                        "period": .stringConvertible(LogSeconds(TimeAmount(period))),
                    ]
                )
            }
            period = interval()
        }
    }

    private func keepWatchdogFed(every interval: Duration) async {
        self.notifier.watchdog()
        while (try? await Task.sleep(for: interval)) != nil {
            self.notifier.watchdog()
        }
    }

    /// SIGUSR1 logs the counters; SIGHUP reloads the configuration.
    private func handleSignals() async {
        for await signal in await UnixSignalsSequence(trapping: .sigusr1, .sighup) {
            if signal == .sigusr1 {
                self.logger.info("counters", metadata: self.summary)
            } else {
                await self.reload()
            }
        }
    }

    /// Re-reads the configuration and applies it without a restart. A configuration with any problem changes
    /// nothing: every problem is logged with its position. A good one keeps the sockets it still wants (with their
    /// open connections) and what they serve is updated, new sockets are bound, sockets it no longer wants are
    /// closed (their open connections may finish), and the new limits take effect. Inherited sockets are never
    /// closed: a configuration that does not serve one of them is refused.
    private func reload() async {
        self.notifier.reloading()
        defer { self.notifier.ready(status: self.statusLine()) }
        guard let current = self.current else { return }
        let fresh: PreparedConfiguration
        let plan: ActivationPlan
        do {
            fresh = try self.reread()
            plan = try ActivationPlan(sockets: current.plan.adopted.map(\.socket), configuration: fresh.configuration)
        } catch {
            self.reject((error as? ConfigurationErrors)?.errors.map(\.description) ?? ["\(error)"])
            return
        }

        let datagramGuard = self.datagramGuard(for: fresh, plan: plan, replacing: current.datagramGuard)
        let wanted = self.wanted(fresh, plan: plan, datagramGuard: datagramGuard)
        let wantedKeys = Set(wanted.map(\.key))
        let open = Dictionary(uniqueKeysWithValues: current.listeners.map { ($0.key, $0) })
        let removed = current.listeners.filter { !wantedKeys.contains($0.key) }
        let toOpen = wanted.filter { open[$0.key] == nil }

        // New sockets first, so that a failure changes nothing. A new socket may need the address of one being
        // removed (127.0.0.1:7 becoming 0.0.0.0:7): those are retried once the removed ones are closed.
        var opened: [ListenerKey: RunningListener] = [:]
        var failed: [(Wanted, any Error)] = []
        for item in toOpen {
            do { opened[item.key] = try await self.open(item) } catch { failed.append((item, error)) }
        }
        var removedClosed = false
        if !failed.isEmpty, !removed.isEmpty {
            await Self.close(removed)
            removedClosed = true
            let retry = failed
            failed = []
            for (item, _) in retry {
                do { opened[item.key] = try await self.open(item) } catch { failed.append((item, error)) }
            }
        }
        if !failed.isEmpty {
            await Self.close(Array(opened.values))
            var restored = current.listeners.filter { wantedKeys.contains($0.key) }
            if removedClosed {
                restored += await self.reopen(removed)
            }
            self.serving.withLockedValue { $0?.listeners = restored }
            self.reject(failed.map { "\($0.1)" })
            return
        }

        // Commit: every socket serves its new route, the limits change, removed sockets close.
        var listeners: [RunningListener] = []
        for item in wanted {
            if let new = opened[item.key] {
                listeners.append(new)
            } else if let kept = open[item.key] {
                do {
                    try await kept.reroute(item.route)
                } catch {
                    self.logger.error("reload: \(kept.label) kept its old service", metadata: ["error": "\(error)"])
                }
                listeners.append(kept)
            }
        }
        self.connectionGate.update(limits: fresh.configuration.limits)
        if fresh.configuration.runAs != current.prepared.configuration.runAs {
            self.logger.notice("user and group changes take effect at the next start, not on reload")
        }
        for listener in opened.values {
            try? await listener.resume()
        }
        if !removedClosed {
            await Self.close(removed)
        }
        self.serving.withLockedValue {
            $0 = Serving(prepared: fresh, plan: plan, listeners: listeners, datagramGuard: datagramGuard)
        }
        self.logger.notice(
            "configuration reloaded",
            metadata: [
                "config": "\(fresh.configuration.source)",
                "listeners": .stringConvertible(listeners.count),
                "opened": "\(opened.values.map(\.label).joined(separator: ", "))",
                "closed": "\(removed.map(\.label).joined(separator: ", "))",
                "kept": .stringConvertible(listeners.count - opened.count),
            ]
        )
    }

    /// A reload that changes nothing: every problem, then the verdict.
    private func reject(_ problems: [String]) {
        for problem in problems {
            self.logger.error("configuration rejected", metadata: ["problem": "\(problem)"])
        }
        self.logger.error(
            "reload failed: still serving the configuration in force",
            metadata: ["problems": .stringConvertible(problems.count)]
        )
    }

    /// Binds again, with their old routes, sockets a failed reload had already closed. Best effort: what cannot be
    /// bound again is logged and left out.
    private func reopen(_ listeners: [RunningListener]) async -> [RunningListener] {
        var reopened: [RunningListener] = []
        for old in listeners {
            guard case .bound(let transport, let address) = old.key else { continue }
            let route = old.current
            let listener = Listener(service: route.service, transport: transport, address: address, entryIndex: 0)
            do {
                let socket = try await self.factory.bind(listener, route: route)
                try await socket.resume()
                reopened.append(socket)
            } catch {
                self.logger.error(
                    "reload: could not listen again",
                    metadata: ["listener": "\(old.label)", "error": "\(error)"]
                )
            }
        }
        return reopened
    }
}
