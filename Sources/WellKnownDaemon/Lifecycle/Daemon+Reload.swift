import Logging
import WellKnownConfig
import WellKnownLogging

extension Daemon {
    /// Re-reads the configuration and applies it without a restart, as one transaction. A configuration with any
    /// problem changes nothing: every problem is logged with its position. A good one is applied in the steps of
    /// its `ReloadPlan`: new sockets are opened first (paused); sockets that need an address a removed one holds
    /// are opened once the removed ones are closed; then the sockets kept serve their new route (a UDP socket gets
    /// its new handlers before the old ones go). If any step fails, everything done so far is undone, every socket
    /// serves its old route, and the log says so, naming any socket that could not be restored. Once applied, the
    /// new limits take effect, removed sockets close (their open connections may finish), and open connections
    /// that the new access lists no longer admit are closed. Inherited sockets are never closed: a configuration
    /// that does not serve one of them is refused.
    func reload() async {
        self.notifier.reloading()
        defer { self.notifier.ready(status: self.statusLine()) }
        guard let current = self.current else { return }
        let fresh: PreparedConfiguration
        let activation: ActivationPlan
        do {
            fresh = try self.reread()
            activation = try ActivationPlan(
                sockets: current.plan.adopted.map(\.socket) + (current.plan.metrics.map { [$0] } ?? []),
                configuration: fresh.configuration
            )
        } catch {
            self.reject((error as? ConfigurationErrors)?.errors.map(\.description) ?? ["\(error)"])
            return
        }

        let picked: [Int: Int]
        do {
            picked = try PortPicker.pick(for: fresh.configuration, keeping: Self.pickedPorts(of: current.listeners))
        } catch {
            self.reject(["\(error)"])
            return
        }
        let datagramGuard = self.datagramGuard(
            for: fresh,
            plan: activation,
            picked: picked,
            replacing: current.datagramGuard
        )
        let wanted = self.wanted(fresh, plan: activation, picked: picked, datagramGuard: datagramGuard)
        let wantedByKey = Dictionary(wanted.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let open = Dictionary(current.listeners.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let steps = ReloadPlan(current: current.listeners.map(\.held), wanted: wanted.map(\.key))
        var transaction = ReloadTransaction()

        // 1. New sockets that need nothing of the old ones, opened paused while everything else serves.
        if let problem = await self.open(steps.open, from: wantedByKey, into: &transaction) {
            await self.rollBack(transaction, current: current, problems: [problem])
            return
        }
        // 2. Sockets that need an address a removed socket holds: those removed ones close first.
        if !steps.openAfterClose.isEmpty {
            transaction.closedEarly = steps.closeFirst.compactMap { open[$0] }
            await Self.close(transaction.closedEarly)
            if let problem = await self.open(steps.openAfterClose, from: wantedByKey, into: &transaction) {
                await self.rollBack(transaction, current: current, problems: [problem])
                return
            }
        }
        // 3. Kept sockets serve their new route: all of them, or (after a failure) none.
        for key in steps.keep {
            guard let listener = open[key], let item = wantedByKey[key] else { continue }
            let old = listener.current
            do {
                try await listener.reroute(item.route)
                transaction.rerouted.append((listener, old))
            } catch {
                await self.rollBack(transaction, current: current, problems: ["\(listener.label): \(error)"])
                return
            }
        }

        // 4. The metrics endpoint: kept, moved, added or removed.
        let metricsChange: MetricsChange
        switch await self.prepareMetrics(
            current: self.current?.metrics,
            wanted: fresh.configuration.metrics,
            plan: activation
        ) {
        case .success(let change):
            metricsChange = change
        case .failure(let problem):
            await self.rollBack(transaction, current: current, problems: ["\(problem)"])
            return
        }

        // 5. Commit: nothing below can fail the reload.
        let opened = Dictionary(transaction.opened.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
        let listeners = wanted.compactMap { opened[$0.key] ?? open[$0.key] }
        self.connectionGate.update(limits: fresh.configuration.limits)
        if fresh.configuration.runAs != current.prepared.configuration.runAs {
            self.logger.notice("user and group changes take effect at the next start, not on reload")
        }
        for listener in transaction.opened {
            do {
                try await listener.resume()
            } catch {
                self.logger.error(
                    "reload: a new socket could not start serving",
                    metadata: ["listener": "\(listener.label)", "error": "\(error)"]
                )
            }
        }
        let closed = steps.close.compactMap { open[$0] }
        let closedEarly = Set(steps.closeFirst)
        await Self.close(closed.filter { !closedEarly.contains($0.key) })
        await self.commitMetrics(metricsChange, configuration: fresh.configuration.metrics)
        self.serving.withLockedValue {
            $0 = Serving(
                prepared: fresh,
                plan: activation,
                listeners: listeners,
                datagramGuard: datagramGuard,
                metrics: metricsChange.endpoint
            )
        }
        let revoked = self.revokeConnections(deniedBy: fresh.configuration)
        self.metrics.applied(reload: true)
        self.logger.notice(
            "configuration reloaded",
            metadata: [
                "config": "\(fresh.configuration.source)",
                "listeners": "\(listeners.map(\.label).joined(separator: ", "))",
                "opened": "\(transaction.opened.map(\.label).joined(separator: ", "))",
                "closed": "\(closed.map(\.label).joined(separator: ", "))",
                "kept": .stringConvertible(steps.keep.count),
                "connections_revoked": .stringConvertible(revoked),
                "metrics": "\(metricsChange.endpoint?.urls.joined(separator: ", ") ?? "off")",
            ]
        )
    }

    /// Opens the sockets of `keys`, paused, recording each in `transaction`; stops at the first that fails and
    /// returns why.
    func open(
        _ keys: [ListenerKey],
        from wanted: [ListenerKey: WantedListener],
        into transaction: inout ReloadTransaction
    ) async -> String? {
        for key in keys {
            guard let item = wanted[key] else { continue }
            do {
                transaction.opened.append(try await self.open(item))
            } catch {
                return "\(error)"
            }
        }
        return nil
    }

    /// The ports of open `port: 0` listeners, by entry index, so that a reload keeps them for the entries it keeps
    /// (a kept entry's sockets keep their key, entry index and service included).
    static func pickedPorts(of listeners: [RunningListener]) -> [Int: PortPicker.Kept] {
        var ports: [Int: PortPicker.Kept] = [:]
        for listener in listeners {
            if case .picked(_, _, let entry, let service) = listener.key, let port = listener.boundPort {
                ports[entry] = PortPicker.Kept(service: service, port: port)
            }
        }
        return ports
    }

    /// Closes the open TCP connections whose entry the new configuration still has but whose access lists no
    /// longer admit their client, as xinetd does on SIGHUP. Each one's log line says `end=revoked`; they are
    /// counted with the refused connections (`access-revoked`). Returns how many were closed.
    func revokeConnections(deniedBy configuration: Configuration) -> Int {
        let policies = Dictionary(
            configuration.services.map { entry in
                let admission = EntryAdmission(entry)
                return (admission.key, admission.access)
            },
            uniquingKeysWith: { first, _ in first }
        )
        let revoked = self.registry.revoke { entryKey, client in
            guard let policy = policies[entryKey] else { return false }
            return !policy.permits(client)
        }
        for connection in revoked {
            self.counters.counters(service: connection.service, transport: .tcp, local: connection.client.isUnix)
                .refusals?.count(.accessRevoked)
            self.connectionGate.refusals.record(.accessRevoked) {
                "\(connection.service) \(connection.client.logDescription)"
            }
        }
        return revoked.count
    }

    /// Undoes a reload that failed part way, then logs every problem and what is served now.
    func rollBack(_ transaction: ReloadTransaction, current: Serving, problems: [String]) async {
        for (listener, old) in transaction.rerouted.reversed() {
            do {
                try await listener.reroute(old)
            } catch {
                self.logger.error(
                    "reload: could not give a socket its old service back; it serves the new one",
                    metadata: ["listener": "\(listener.label)", "error": "\(error)"]
                )
            }
        }
        await Self.close(transaction.opened)
        var lost: [String] = []
        if !transaction.closedEarly.isEmpty {
            let (reopened, failed) = await self.reopen(transaction.closedEarly)
            lost = failed
            let closedKeys = Set(transaction.closedEarly.map(\.key))
            let byKey = Dictionary(reopened.map { ($0.key, $0) }, uniquingKeysWith: { first, _ in first })
            let listeners = current.listeners.compactMap { closedKeys.contains($0.key) ? byKey[$0.key] : $0 }
            self.serving.withLockedValue { $0?.listeners = listeners }
        }
        self.reject(problems, lost: lost)
    }

    /// A reload that changed nothing (or, `lost`, could not put these sockets back): every problem, then the verdict.
    func reject(_ problems: [String], lost: [String] = []) {
        self.metrics.rejectedReload()
        for problem in problems {
            self.logger.error("configuration rejected", metadata: ["problem": "\(problem)"])
        }
        if lost.isEmpty {
            self.logger.error(
                "reload failed: still serving the configuration in force",
                metadata: ["problems": .stringConvertible(problems.count)]
            )
        } else {
            self.logger.critical(
                "reload failed: still serving the configuration in force, except sockets that could not be reopened",
                metadata: [
                    "problems": .stringConvertible(problems.count),
                    "not_listening": "\(lost.joined(separator: ", "))",
                ]
            )
        }
    }

    /// Binds again, with their old routes, sockets a failed reload had already closed. Best effort: returns those
    /// listening again, and the labels of those that could not be bound again (each logged).
    func reopen(_ listeners: [RunningListener]) async -> (reopened: [RunningListener], failed: [String]) {
        var reopened: [RunningListener] = []
        var failed: [String] = []
        for old in listeners {
            // The address it held: a `port: 0` listener gets its picked port back.
            guard let address = old.held.address, let transport = old.key.transport else { continue }
            let route = old.current
            let listener = Listener(service: route.service, transport: transport, address: address, entryIndex: 0)
            do {
                let socket = try await self.factory.bind(listener, route: route, key: old.key)
                try await socket.resume()
                reopened.append(socket)
            } catch {
                failed.append(old.label)
                self.logger.error(
                    "reload: could not listen again",
                    metadata: ["listener": "\(old.label)", "error": "\(error)"]
                )
            }
        }
        return (reopened, failed)
    }
}
