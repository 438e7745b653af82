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

    /// `current` in the order they are open, `wanted` in the new configuration's order; each list without repeats.
    init(current: [ListenerKey], wanted: [ListenerKey]) {
        let open = Set(current)
        let wantedSet = Set(wanted)
        self.close = current.filter { !wantedSet.contains($0) }
        for key in wanted {
            if open.contains(key) {
                self.keep.append(key)
            } else if self.close.contains(where: { $0.conflicts(with: key) }) {
                self.openAfterClose.append(key)
            } else {
                self.open.append(key)
            }
        }
    }

    /// Whether the reload leaves every socket as it is.
    var opensOrClosesNothing: Bool { self.open.isEmpty && self.openAfterClose.isEmpty && self.close.isEmpty }
}

extension ListenerKey {
    /// Whether both cannot be bound at once: overlapping addresses on one transport and port, or one socket path.
    /// Inherited sockets are already open and never conflict; a port the kernel picks (`port: 0`) never does.
    func conflicts(with other: ListenerKey) -> Bool {
        guard case .bound(let transport, let address) = self, case .bound(let otherTransport, let otherAddress) = other
        else { return false }
        if case .ip(_, 0) = address { return false }
        return address.collides(with: otherAddress, sameTransport: transport == otherTransport)
    }
}
