import CoreMetrics
import Foundation
import NIOConcurrencyHelpers
import Prometheus

/// The daemon's metrics: one Prometheus registry, written to through swift-metrics, exposed by the endpoint.
/// Counting goes on whether or not an endpoint is configured, so that one added by a reload shows the totals
/// since the start, as the summary lines do.
final class DaemonMetrics: Sendable {
    let registry = PrometheusCollectorRegistry()
    let factory: DescribedMetricsFactory
    private let reloadsApplied: CoreMetrics.Counter
    private let reloadsRejected: CoreMetrics.Counter
    private let lastReloadSuccess: CoreMetrics.Gauge
    private let requests: [String: CoreMetrics.Counter]
    private let feed: NIOLockedValueBox<ScrapeFeed>

    /// The statuses the endpoint answers with, and `refused` for connections over its limits.
    static let requestOutcomes = ["200", "400", "404", "405", "408", "431", "refused"]

    init(version: String) {
        self.factory = DescribedMetricsFactory(registry: self.registry)
        let factory = self.factory
        func reloads(_ result: String) -> CoreMetrics.Counter {
            CoreMetrics.Counter(label: MetricName.reloads.name, dimensions: [("result", result)], factory: factory)
        }
        self.reloadsApplied = reloads("applied")
        self.reloadsRejected = reloads("rejected")
        self.lastReloadSuccess = CoreMetrics.Gauge(label: MetricName.lastReloadSuccess.name, factory: factory)
        self.requests = Dictionary(
            uniqueKeysWithValues: Self.requestOutcomes.map { outcome in
                (
                    outcome,
                    CoreMetrics.Counter(
                        label: MetricName.scrapes.name,
                        dimensions: [("code", outcome)],
                        factory: factory
                    )
                )
            }
        )
        CoreMetrics.Gauge(label: MetricName.buildInfo.name, dimensions: [("version", version)], factory: factory)
            .record(1)
        self.feed = NIOLockedValueBox(ScrapeFeed(factory: factory))
    }

    /// A configuration was applied: at the start, or by a reload.
    func applied(reload: Bool, at date: Date = Date()) {
        if reload {
            self.reloadsApplied.increment()
        }
        self.lastReloadSuccess.record(date.timeIntervalSince1970)
    }

    func rejectedReload() {
        self.reloadsRejected.increment()
    }

    /// A request to the endpoint answered with `status`, or a connection refused (`"refused"`).
    func request(_ outcome: String) {
        self.requests[outcome]?.increment()
    }

    /// The text exposition, with the fed figures brought up to date first.
    func exposition(
        rows: [ServiceCounters],
        listeners: [(service: String, proto: String)],
        process: ProcessStatistics? = ProcessStatistics.current()
    ) -> [UInt8] {
        self.feed.withLockedValue { feed in
            feed.update(rows: rows, listeners: listeners, process: process)
            // Emitted under the same lock: two scrapes at once cannot interleave their feeding and emitting.
            return self.registry.emitToBuffer()
        }
    }
}
