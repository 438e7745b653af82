import NIOCore
import Synchronization
import WellKnownLogging

/// A listening socket of a one-shot service (daytime, time) as an `AcceptLoop` serves it: NIO's channel owns the
/// descriptor (it binds, adopts and closes it, and keeps it out of its own epoll while `autoRead` is off); the loop
/// only accepts on it, between `AcceptLoop.add` and `AcceptLoop.remove`.
struct OneShotListener: Sendable {
    let fd: Int32
    let route: RouteBox
    /// Advanced after every change of `route` (`RunningListener.reroute`): the loop reads the route again only when
    /// it moved, instead of copying it for every connection (about 20 retains and releases each).
    let reroutes = Reroutes()
    let gate: ConnectionGate
    let records: RecordLog
    /// The address bound: every connection's server side, unless it is a wildcard, where each accepted socket is
    /// asked (getsockname) which of the host's addresses the client reached.
    let bound: SocketAddress?
    let wildcard: Bool

    init(fd: Int32, route: RouteBox, gate: ConnectionGate, records: RecordLog, bound: SocketAddress?) {
        self.fd = fd
        self.route = route
        self.gate = gate
        self.records = records
        self.bound = bound
        self.wildcard = bound?.ipBytes?.allSatisfy { $0 == 0 } ?? true
    }
}

/// How many times a listener's route has changed.
final class Reroutes: Sendable {
    private let count = Atomic<Int>(0)

    /// After the route box is written: a loop that then sees the new count reads the new route.
    func advance() {
        self.count.add(1, ordering: .releasing)
    }

    var current: Int { self.count.load(ordering: .acquiring) }
}
