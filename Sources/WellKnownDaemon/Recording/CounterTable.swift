import CoreMetrics
import Logging
import NIOConcurrencyHelpers
import WellKnownConfig

/// All counters, one per service, transport and address family the daemon has served. A reload adds rows for new
/// services; the rows of services it removes stay, so that the totals never go backwards.
final class CounterTable: Sendable {
    private let rows = NIOLockedValueBox<[ServiceCounters]>([])
    /// Where the rows' per-reason counters and durations are registered.
    let factory: any MetricsFactory

    init(listeners: [Listener], factory: any MetricsFactory = NOOPMetricsHandler.instance) {
        self.factory = factory
        for listener in listeners {
            let local = if case .unix = listener.address { true } else { false }
            _ = self.counters(service: listener.service, transport: listener.transport, local: local)
        }
    }

    var all: [ServiceCounters] { self.rows.withLockedValue { $0 } }

    /// The row for `service` over `transport` (`local`: AF_UNIX), created on first use.
    func counters(service: String, transport: Transport, local: Bool) -> ServiceCounters {
        self.rows.withLockedValue { rows in
            if let row = rows.first(where: { $0.service == service && $0.transport == transport && $0.local == local })
            {
                return row
            }
            let row = ServiceCounters(service: service, transport: transport, local: local, factory: self.factory)
            rows.append(row)
            return row
        }
    }

    /// Totals and a compact per-service breakdown, for the shutdown and SIGUSR1 lines.
    var summary: Logger.Metadata {
        let all = self.all
        func total(_ transport: Transport?, _ field: (ServiceCounters) -> Int) -> Int {
            all.filter { transport == nil || $0.transport == transport }.reduce(0) { $0 + field($1) }
        }
        // TCP: accepted/open/refused/bytes_in/bytes_out; UDP: received/replied/dropped/bytes_in/bytes_out.
        let perService = all.map { counters in
            let middle =
                counters.transport == .tcp
                ? [counters.open.load(ordering: .relaxed), counters.refused.load(ordering: .relaxed)]
                : [counters.replies.load(ordering: .relaxed), counters.dropped.load(ordering: .relaxed)]
            let fields =
                [counters.accepted.load(ordering: .relaxed)] + middle
                + [counters.bytesIn.load(ordering: .relaxed), counters.bytesOut.load(ordering: .relaxed)]
            return "\(counters.key):" + fields.map(String.init).joined(separator: "/")
        }
        return [
            "connections": .stringConvertible(total(.tcp, { $0.accepted.load(ordering: .relaxed) })),
            "connections_open": .stringConvertible(total(.tcp, { $0.open.load(ordering: .relaxed) })),
            "datagrams": .stringConvertible(total(.udp, { $0.accepted.load(ordering: .relaxed) })),
            "replies": .stringConvertible(total(.udp, { $0.replies.load(ordering: .relaxed) })),
            "datagrams_dropped": .stringConvertible(total(.udp, { $0.dropped.load(ordering: .relaxed) })),
            "connections_refused": .stringConvertible(total(.tcp, { $0.refused.load(ordering: .relaxed) })),
            "bytes_in": .stringConvertible(total(nil, { $0.bytesIn.load(ordering: .relaxed) })),
            "bytes_out": .stringConvertible(total(nil, { $0.bytesOut.load(ordering: .relaxed) })),
            "per_service": "\(perService.joined(separator: " "))",
        ]
    }
}
