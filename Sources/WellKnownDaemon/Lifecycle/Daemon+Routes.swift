import WellKnownConfig

extension Daemon {
    /// The UDP guard for a configuration: our own UDP ports, configured, picked (`port: 0`) or inherited, are
    /// refused as sources (datagrams from them are loops or reflections). The current guard, with its buckets, is
    /// kept if nothing it depends on changed.
    func datagramGuard(
        for prepared: PreparedConfiguration,
        plan: ActivationPlan,
        picked: [Int: Int],
        replacing current: DatagramGuardState?
    ) -> DatagramGuardState {
        var ownPorts = Set(
            prepared.listeners.compactMap { listener -> Int? in
                guard listener.transport == .udp, case .ip(_, let port) = listener.address else { return nil }
                return port == 0 ? picked[listener.entryIndex] : port
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
    /// `picked`: the ports chosen for `port: 0` entries, by entry index.
    func wanted(
        _ prepared: PreparedConfiguration,
        plan: ActivationPlan,
        picked: [Int: Int],
        datagramGuard: DatagramGuardState
    ) -> [WantedListener] {
        func route(entry index: Int, transport: Transport, guarded: Bool, local: Bool) -> Route? {
            guard let entry = prepared.configuration.services.first(where: { $0.index == index }),
                let instance = prepared.instance(forEntry: index)
            else { return nil }
            return Route(
                service: entry.service,
                transport: transport,
                instance: instance,
                admission: EntryAdmission(entry),
                bounds: entry.bounds,
                counters: self.counters.counters(service: entry.service, transport: transport, local: local),
                datagramGuard: transport == .udp && guarded ? datagramGuard : nil
            )
        }
        var wanted: [WantedListener] = []
        for adoption in plan.adopted {
            let guarded = adoption.socket.kind == .udp
            let local = adoption.socket.kind != .udp && adoption.socket.kind != .tcpListener
            if let route = route(
                entry: adoption.entryIndex,
                transport: adoption.transport,
                guarded: guarded,
                local: local
            ) {
                wanted.append(
                    WantedListener(
                        key: .inherited(fd: adoption.socket.fd),
                        source: .adopt(adoption.socket),
                        route: route
                    )
                )
            }
        }
        for listener in plan.toBind {
            let guarded = if case .ip = listener.address { true } else { false }
            guard
                let route = route(
                    entry: listener.entryIndex,
                    transport: listener.transport,
                    guarded: guarded,
                    local: !guarded
                )
            else { continue }
            if case .ip(let address, 0) = listener.address, let port = picked[listener.entryIndex] {
                var real = listener
                real.address = .ip(address, port: port)
                let key = ListenerKey.picked(
                    listener.transport,
                    listener.address,
                    entry: listener.entryIndex,
                    service: listener.service
                )
                wanted.append(WantedListener(key: key, source: .bind(real), route: route))
            } else {
                wanted.append(
                    WantedListener(
                        key: .bound(listener.transport, listener.address),
                        source: .bind(listener),
                        route: route
                    )
                )
            }
        }
        return wanted
    }

}
