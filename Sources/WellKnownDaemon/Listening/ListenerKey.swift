import WellKnownConfig

/// Where a listening socket is, across reloads: the address the daemon bound, or the descriptor systemd passed.
/// A reload keeps every socket whose key it still wants.
enum ListenerKey: Hashable, Sendable {
    case bound(Transport, ListenAddress)
    case inherited(fd: CInt)
}
