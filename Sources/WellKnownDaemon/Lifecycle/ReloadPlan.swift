import WellKnownConfig

/// What a reload does to the listening sockets: a pure function of the sockets open now and the sockets the new
/// configuration wants, by key. The daemon carries it out as a transaction (`Daemon.reload`): new sockets are
/// opened before anything else changes, kept sockets are given their new service only once every new socket is
/// open, and any failure puts everything back as it was.
struct ReloadPlan: Equatable, Sendable {
    /// Open now and still wanted: they stay open, with their connections, and serve their new route.
    var keep: [ListenerKey] = []
    /// Not open yet, and free to be opened while everything else goes on serving.
    var open: [ListenerKey] = []
    /// Not open yet, and in need of an address that a socket being closed still holds (`127.0.0.1:7` becoming
    /// `0.0.0.0:7`): opened only after the sockets in `close` are.
    var openAfterClose: [ListenerKey] = []
    /// Open now and no longer wanted. Their open connections may finish.
    var close: [ListenerKey] = []
    /// Those of `close` whose addresses sockets in `openAfterClose` need: closed before those are opened.
    var closeFirst: [ListenerKey] = []

    /// An open socket: its key, and the address it really holds (for a `port: 0` listener, the port picked).
    struct Open: Sendable {
        let key: ListenerKey
        let address: ListenAddress?
    }

    /// `current` in the order they are open, `wanted` in the new configuration's order; each list without repeats.
    init(current: [Open], wanted: [ListenerKey]) {
        let open = Set(current.map(\.key))
        let wantedSet = Set(wanted)
        let removed = current.filter { !wantedSet.contains($0.key) }
        self.close = removed.map(\.key)
        for key in wanted {
            if open.contains(key) {
                self.keep.append(key)
            } else if removed.contains(where: { key.conflicts(withOpen: $0) }) {
                self.openAfterClose.append(key)
                for held in removed where key.conflicts(withOpen: held) && !self.closeFirst.contains(held.key) {
                    self.closeFirst.append(held.key)
                }
            } else {
                self.open.append(key)
            }
        }
    }

    /// Sockets known by their keys alone: each holds the address its key names.
    init(current: [ListenerKey], wanted: [ListenerKey]) {
        self.init(current: current.map { Open(key: $0, address: $0.address) }, wanted: wanted)
    }
}

extension ListenerKey {
    /// The address a socket of this key holds, as far as the key says: none for inherited sockets (already open)
    /// and `port: 0` listeners (their port is only known once picked).
    var address: ListenAddress? {
        guard case .bound(_, let address) = self else { return nil }
        return address
    }

    var transport: Transport? {
        switch self {
        case .bound(let transport, _), .picked(let transport, _, _, _): return transport
        case .inherited: return nil
        }
    }

    /// Whether a socket of this key cannot be bound while `open` holds its address: overlapping addresses on one
    /// transport and port, or one socket path. A port still to be picked never conflicts (it is picked free).
    func conflicts(withOpen open: ReloadPlan.Open) -> Bool {
        guard case .bound(let transport, let address) = self, let held = open.address,
            let heldTransport = open.key.transport
        else { return false }
        return address.collides(with: held, sameTransport: transport == heldTransport)
    }
}
