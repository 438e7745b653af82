import CoreMetrics

/// Carries, at each scrape, what the hot paths count in plain atomics (`ServiceCounters`) and what is read off
/// the process into the swift-metrics counters and gauges of the registry: a counter grows by what its atomic grew
/// since the last scrape, so the exposition's totals are the atomics' own. Used under a lock: one scrape at a time.
struct ScrapeFeed {
    private let factory: any MetricsFactory
    private var counters: [String: CoreMetrics.Counter] = [:]
    private var gauges: [String: CoreMetrics.Gauge] = [:]
    /// The value each fed counter had at the last scrape.
    private var fed: [String: Int] = [:]
    private var cpuFed = 0.0
    private var cpu: CoreMetrics.FloatingPointCounter
    /// Every listener label set ever reported: one no longer listening is reported as 0, not left at its last value.
    private var listenerLabels: Set<[String]> = []

    init(factory: any MetricsFactory) {
        self.factory = factory
        self.cpu = CoreMetrics.FloatingPointCounter(label: MetricName.processCPU.name, factory: factory)
    }

    private static func key(_ metric: MetricName, _ labels: [(String, String)]) -> String {
        ([metric.name] + labels.map { "\($0.0)=\($0.1)" }).joined(separator: "|")
    }

    private mutating func feed(_ metric: MetricName, _ labels: [(String, String)], total: Int) {
        let key = Self.key(metric, labels)
        let counter =
            self.counters[key]
            ?? {
                let made = CoreMetrics.Counter(label: metric.name, dimensions: labels, factory: self.factory)
                self.counters[key] = made
                return made
            }()
        let grown = total - self.fed[key, default: 0]
        if grown > 0 {
            counter.increment(by: Int64(grown))
            self.fed[key] = total
        }
    }

    private mutating func set(_ metric: MetricName, _ labels: [(String, String)], to value: Double) {
        let key = Self.key(metric, labels)
        let gauge =
            self.gauges[key]
            ?? {
                let made = CoreMetrics.Gauge(label: metric.name, dimensions: labels, factory: self.factory)
                self.gauges[key] = made
                return made
            }()
        gauge.record(value)
    }

    /// `listeners`: (service, proto) of every listening socket now.
    mutating func update(
        rows: [ServiceCounters],
        listeners: [(service: String, proto: String)],
        process: ProcessStatistics?
    ) {
        var open: [String: Int] = [:]
        var received: [String: Int] = [:]
        var replied: [String: Int] = [:]
        for row in rows {
            let labels = [("service", row.service), ("proto", row.proto)]
            let accepted = row.accepted.load(ordering: .relaxed)
            switch row.transport {
            case .tcp:
                self.feed(.connections, labels, total: accepted)
                open[row.service, default: 0] += row.open.load(ordering: .relaxed)
            case .udp:
                received[row.service, default: 0] += accepted
                replied[row.service, default: 0] += row.replies.load(ordering: .relaxed)
            }
            self.feed(.receivedBytes, labels, total: row.bytesIn.load(ordering: .relaxed))
            self.feed(.sentBytes, labels, total: row.bytesOut.load(ordering: .relaxed))
        }
        for (service, count) in open {
            self.set(.connectionsOpen, [("service", service)], to: Double(count))
        }
        for (service, count) in received {
            self.feed(.datagramsReceived, [("service", service)], total: count)
        }
        for (service, count) in replied {
            self.feed(.datagramsReplied, [("service", service)], total: count)
        }

        var listening: [[String]: Int] = [:]
        for listener in listeners {
            listening[[listener.service, listener.proto], default: 0] += 1
        }
        self.listenerLabels.formUnion(listening.keys)
        for labels in self.listenerLabels {
            self.set(.listeners, [("service", labels[0]), ("proto", labels[1])], to: Double(listening[labels] ?? 0))
        }

        if let process {
            let grown = process.cpuSeconds - self.cpuFed
            if grown > 0 {
                self.cpu.increment(by: grown)
                self.cpuFed = process.cpuSeconds
            }
            self.set(.processStartTime, [], to: process.startTime)
            self.set(.processResidentMemory, [], to: process.residentBytes)
            self.set(.processVirtualMemory, [], to: process.virtualBytes)
            self.set(.processOpenFDs, [], to: Double(process.openDescriptors))
            self.set(.processMaxFDs, [], to: Double(process.maximumDescriptors))
        }
    }
}
