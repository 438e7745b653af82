import CoreMetrics

/// One counter per reason (of a connection end, a refusal, a drop), all made up front: every series exists from
/// the start at 0, as Prometheus' rate() wants, and counting is a dictionary read and an atomic add.
struct ReasonCounters<Reason: CaseIterable & Hashable & RawRepresentable & Sendable>: Sendable
where Reason.RawValue == String {
    private let counters: [Reason: CoreMetrics.Counter]

    init(_ metric: MetricName, label: String, labels: [(String, String)], factory: any MetricsFactory) {
        self.counters = Dictionary(
            uniqueKeysWithValues: Reason.allCases.map { reason in
                (
                    reason,
                    CoreMetrics.Counter(
                        label: metric.name,
                        dimensions: labels + [(label, reason.rawValue)],
                        factory: factory
                    )
                )
            }
        )
    }

    func count(_ reason: Reason) {
        self.counters[reason]?.increment()
    }
}
