import NIOCore
import WellKnownLogging

/// A listening socket of a one-shot service (daytime, time) as an `AcceptLoop` serves it: NIO's channel owns the
/// descriptor (it binds, adopts and closes it, and keeps it out of its own epoll while `autoRead` is off); the loop
/// only accepts on it, between `AcceptLoop.add` and `AcceptLoop.remove`.
struct OneShotListener: Sendable {
    let fd: Int32
    let route: RouteBox
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
