import WellKnownConfig

/// Where a listening socket is, across reloads: the address the daemon bound, or the descriptor systemd passed.
/// A reload keeps every socket whose key it still wants.
enum ListenerKey: Hashable, Sendable {
    case bound(Transport, ListenAddress)
    /// A `port: 0` listener: entry `entry` of the file, serving `service` on `address` (port 0) at a port the kernel
    /// picked. A reload keeps it while the entry at that position serves the same service there.
    case picked(Transport, ListenAddress, entry: Int, service: String)
    case inherited(fd: CInt)
}
