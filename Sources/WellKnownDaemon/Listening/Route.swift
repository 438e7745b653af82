import NIOConcurrencyHelpers
import WellKnownConfig
import WellKnownServices

/// What a listening socket serves. A reload can change it while the socket stays open: TCP looks it up for every
/// connection it accepts; a UDP socket gets a fresh pipeline.
struct Route: Sendable {
    var service: String
    var transport: Transport
    var instance: ServiceInstance
    var admission: EntryAdmission
    var bounds: StreamBounds
    var counters: ServiceCounters
    /// nil for AF_UNIX datagram sockets: local peers, no reflection to guard against.
    var datagramGuard: DatagramGuardState?
}

typealias RouteBox = NIOLockedValueBox<Route>
