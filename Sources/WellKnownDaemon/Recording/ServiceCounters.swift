import CoreMetrics
import Synchronization
import WellKnownConfig

/// Running totals for one service on one transport and address family, shared by all of its sockets and event
/// loops. The totals the hot paths add to on every datagram and every read are plain atomics, read by the summary
/// lines and fed to the metrics when they are scraped; the counts by reason and the durations, counted once per
/// connection or per dropped datagram, go straight to swift-metrics (lock-free counters; the duration histogram
/// takes one lock per connection end).
final class ServiceCounters: Sendable {
    let service: String
    let transport: Transport
    /// AF_UNIX sockets (`path:` entries, inherited AF_UNIX sockets).
    let local: Bool
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
    /// Stream sockets only: how connections ended, why they were refused, how long they lasted.
    let ends: ReasonCounters<ConnectionEnd>?
    let refusals: ReasonCounters<ConnectionRefusal>?
    let durations: CoreMetrics.Timer?
    /// Datagram sockets only: why datagrams were dropped.
    let drops: ReasonCounters<DatagramDropReason>?

    /// `factory`: where the per-reason counters and the durations go; by default nowhere (unit tests).
    init(
        service: String,
        transport: Transport,
        local: Bool = false,
        factory: any MetricsFactory = NOOPMetricsHandler.instance
    ) {
        self.service = service
        self.transport = transport
        self.local = local
        let labels = [("service", service)]
        switch transport {
        case .tcp:
            self.ends = ReasonCounters(MetricName.connectionsEnded, label: "end", labels: labels, factory: factory)
            self.refusals = ReasonCounters(
                MetricName.connectionsRefused,
                label: "reason",
                labels: labels,
                factory: factory
            )
            self.durations = CoreMetrics.Timer(
                label: MetricName.connectionDuration.name,
                dimensions: labels,
                factory: factory
            )
            self.drops = nil
        case .udp:
            self.ends = nil
            self.refusals = nil
            self.durations = nil
            self.drops = ReasonCounters(MetricName.datagramsDropped, label: "reason", labels: labels, factory: factory)
        }
    }

    /// The `proto` label: tcp, udp, and for AF_UNIX unix (stream) and unixgram (datagram), as ss(8) names them.
    var proto: String {
        switch (self.transport, self.local) {
        case (.tcp, false): return "tcp"
        case (.udp, false): return "udp"
        case (.tcp, true): return "unix"
        case (.udp, true): return "unixgram"
        }
    }

    var key: String { "\(self.service)/\(self.proto)" }
}
