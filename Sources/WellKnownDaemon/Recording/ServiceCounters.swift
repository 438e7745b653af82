import Synchronization
import WellKnownConfig

/// Running totals for one service on one transport, shared by all of its sockets and event loops.
final class ServiceCounters: Sendable {
    let service: String
    let transport: Transport
    /// TCP: connections accepted. UDP: datagrams received.
    let accepted = Atomic<Int>(0)
    /// TCP: connections open now.
    let open = Atomic<Int>(0)
    /// UDP: replies sent.
    let replies = Atomic<Int>(0)
    /// UDP: datagrams the guard dropped.
    let dropped = Atomic<Int>(0)
    /// TCP: connections refused by the limits.
    let refused = Atomic<Int>(0)
    let bytesIn = Atomic<Int>(0)
    let bytesOut = Atomic<Int>(0)

    init(service: String, transport: Transport) {
        self.service = service
        self.transport = transport
    }

    var key: String { "\(self.service)/\(self.transport.rawValue)" }
}
