import CoreMetrics

/// One counter per reason (of a connection end, a refusal, a drop), all made up front: every series exists from
/// the start at 0, as Prometheus' rate() wants. Counting finds the reason in a list of ten at most, by the enum's
/// own equality: a dictionary would hash the reason's raw value, a String, on every event (the default Hashable of
/// a RawRepresentable enum), which costs more than the count itself.
struct ReasonCounters<Reason: CaseIterable & Equatable & Sendable>: Sendable {
    private let reasons: [Reason]
    private let counters: [CoreMetrics.Counter]

    init(
        _ metric: MetricName,
        label: String,
        labels: [(String, String)],
        factory: any MetricsFactory
    ) where Reason: RawRepresentable, Reason.RawValue == String {
        self.reasons = Array(Reason.allCases)
        self.counters = self.reasons.map { reason in
            CoreMetrics.Counter(label: metric.name, dimensions: labels + [(label, reason.rawValue)], factory: factory)
        }
    }

    func count(_ reason: Reason) {
        for index in self.reasons.indices where self.reasons[index] == reason {
            self.counters[index].increment()
            return
        }
    }
}
