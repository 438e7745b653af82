import Foundation
import NIOCore
import NIOEmbedded
import Testing
import WellKnownConfig
import WellKnownServices

@testable import WellKnownDaemon

@Suite struct DaemonMetricsTests {
    static let process = ProcessStatistics(
        cpuSeconds: 1.5,
        startTime: 1_700_000_000,
        residentBytes: 4096,
        virtualBytes: 8192,
        openDescriptors: 12,
        maximumDescriptors: 1024
    )

    func scrape(
        _ metrics: DaemonMetrics,
        _ table: CounterTable,
        listeners: [(service: String, proto: String)] = [],
        process: ProcessStatistics? = Self.process
    ) -> MetricsText {
        MetricsText(metrics.exposition(rows: table.all, listeners: listeners, process: process))
    }

    @Test func theExpositionsTotalsAreTheCountersOwnAtEveryScrape() {
        let metrics = DaemonMetrics(version: "9.9.9")
        let table = CounterTable(listeners: [], factory: metrics.factory)
        let tcp = table.counters(service: "echo", transport: .tcp, local: false)
        let unix = table.counters(service: "echo", transport: .tcp, local: true)
        let udp = table.counters(service: "echo", transport: .udp, local: false)
        tcp.accepted.add(3, ordering: .relaxed)
        tcp.open.add(1, ordering: .relaxed)
        tcp.bytesIn.add(30, ordering: .relaxed)
        tcp.bytesOut.add(29, ordering: .relaxed)
        unix.accepted.add(1, ordering: .relaxed)
        udp.accepted.add(5, ordering: .relaxed)
        udp.replies.add(4, ordering: .relaxed)
        udp.bytesIn.add(50, ordering: .relaxed)

        var text = self.scrape(metrics, table)
        #expect(text["wellknownd_connections_total{service=\"echo\",proto=\"tcp\"}"] == 3)
        #expect(text["wellknownd_connections_total{service=\"echo\",proto=\"unix\"}"] == 1)
        #expect(text["wellknownd_connections_open{service=\"echo\"}"] == 1)
        #expect(text["wellknownd_received_bytes_total{service=\"echo\",proto=\"tcp\"}"] == 30)
        #expect(text["wellknownd_sent_bytes_total{service=\"echo\",proto=\"tcp\"}"] == 29)
        #expect(text["wellknownd_received_bytes_total{service=\"echo\",proto=\"udp\"}"] == 50)
        #expect(text["wellknownd_datagrams_received_total{service=\"echo\"}"] == 5)
        #expect(text["wellknownd_datagrams_replied_total{service=\"echo\"}"] == 4)

        // The second scrape adds what the atomics gained since the first, no more.
        tcp.accepted.add(2, ordering: .relaxed)
        tcp.open.add(-1, ordering: .relaxed)
        udp.accepted.add(1, ordering: .relaxed)
        text = self.scrape(metrics, table)
        #expect(text["wellknownd_connections_total{service=\"echo\",proto=\"tcp\"}"] == 5)
        #expect(text["wellknownd_connections_open{service=\"echo\"}"] == 0)
        #expect(text["wellknownd_datagrams_received_total{service=\"echo\"}"] == 6)
        #expect(text["wellknownd_received_bytes_total{service=\"echo\",proto=\"tcp\"}"] == 30)
    }

    @Test func reasonsAndDurationsAreCountedWhenTheyHappen() {
        let metrics = DaemonMetrics(version: "9.9.9")
        let table = CounterTable(listeners: [], factory: metrics.factory)
        let tcp = table.counters(service: "echo", transport: .tcp, local: false)
        let unix = table.counters(service: "echo", transport: .tcp, local: true)
        let udp = table.counters(service: "echo", transport: .udp, local: false)
        tcp.ends?.count(.client)
        unix.ends?.count(.client)
        tcp.ends?.count(.timeout)
        tcp.refusals?.count(.sourceRate)
        udp.drops?.count(.ownPort)
        udp.drops?.count(.ownPort)
        tcp.durations?.recordNanoseconds(2_000_000)
        tcp.durations?.recordNanoseconds(20_000_000_000)

        let text = self.scrape(metrics, table)
        // TCP and AF_UNIX connections of one service share the series without a proto label.
        #expect(text["wellknownd_connections_ended_total{service=\"echo\",end=\"client\"}"] == 2)
        #expect(text["wellknownd_connections_ended_total{service=\"echo\",end=\"timeout\"}"] == 1)
        #expect(text["wellknownd_connections_ended_total{service=\"echo\",end=\"reset\"}"] == 0, "every reason, at 0")
        #expect(text["wellknownd_connections_refused_total{service=\"echo\",reason=\"source-rate\"}"] == 1)
        #expect(text["wellknownd_connections_refused_total{service=\"echo\",reason=\"access-revoked\"}"] == 0)
        #expect(text["wellknownd_datagrams_dropped_total{service=\"echo\",reason=\"own-port\"}"] == 2)
        #expect(text["wellknownd_datagrams_dropped_total{service=\"echo\",reason=\"reply-cap\"}"] == 0)
        #expect(text["wellknownd_connection_duration_seconds_count{service=\"echo\"}"] == 2)
        #expect(text["wellknownd_connection_duration_seconds_sum{service=\"echo\"}"] == 20.002)
        #expect(text["wellknownd_connection_duration_seconds_bucket{service=\"echo\",le=\"0.001\"}"] == 0)
        #expect(text["wellknownd_connection_duration_seconds_bucket{service=\"echo\",le=\"0.005\"}"] == 1)
        #expect(text["wellknownd_connection_duration_seconds_bucket{service=\"echo\",le=\"30.0\"}"] == 2)
        #expect(text["wellknownd_connection_duration_seconds_bucket{service=\"echo\",le=\"3600.0\"}"] == 2)
        #expect(text["wellknownd_connection_duration_seconds_bucket{service=\"echo\",le=\"+Inf\"}"] == 2)
    }

    @Test func listenersProcessReloadsAndBuildInfo() {
        let metrics = DaemonMetrics(version: "9.9.9")
        let table = CounterTable(listeners: [], factory: metrics.factory)
        metrics.applied(reload: false, at: Date(timeIntervalSince1970: 1_000))
        metrics.applied(reload: true, at: Date(timeIntervalSince1970: 2_000))
        metrics.rejectedReload()
        metrics.request("200")
        metrics.request("refused")

        var text = self.scrape(
            metrics,
            table,
            listeners: [("echo", "tcp"), ("echo", "tcp"), ("echo", "udp"), ("daytime", "unix")]
        )
        #expect(text["wellknownd_build_info{version=\"9.9.9\"}"] == 1)
        #expect(text["wellknownd_reloads_total{result=\"applied\"}"] == 1)
        #expect(text["wellknownd_reloads_total{result=\"rejected\"}"] == 1)
        #expect(text["wellknownd_config_last_reload_success_timestamp_seconds"] == 2_000)
        #expect(text["wellknownd_metrics_requests_total{code=\"200\"}"] == 1)
        #expect(text["wellknownd_metrics_requests_total{code=\"refused\"}"] == 1)
        #expect(text["wellknownd_listeners{service=\"echo\",proto=\"tcp\"}"] == 2)
        #expect(text["wellknownd_listeners{service=\"daytime\",proto=\"unix\"}"] == 1)
        #expect(text["process_cpu_seconds_total"] == 1.5)
        #expect(text["process_open_fds"] == 12)
        #expect(text["process_max_fds"] == 1024)
        #expect(text["process_start_time_seconds"] == 1_700_000_000)
        #expect(text["process_resident_memory_bytes"] == 4096)

        // A listener no longer there is reported as 0; CPU time grows by what it grew.
        var later = Self.process
        later.cpuSeconds = 2.25
        text = self.scrape(metrics, table, listeners: [("echo", "udp")], process: later)
        #expect(text["wellknownd_listeners{service=\"echo\",proto=\"tcp\"}"] == 0)
        #expect(text["wellknownd_listeners{service=\"daytime\",proto=\"unix\"}"] == 0)
        #expect(text["wellknownd_listeners{service=\"echo\",proto=\"udp\"}"] == 1)
        #expect(text["process_cpu_seconds_total"] == 2.25)
    }

    @Test func everyFamilyHasHelpAndTheRightType() {
        let metrics = DaemonMetrics(version: "9.9.9")
        let table = CounterTable(
            listeners: [
                Listener(service: "echo", transport: .tcp, address: .ip(.ipv4Loopback, port: 7), entryIndex: 0),
                Listener(service: "echo", transport: .udp, address: .ip(.ipv4Loopback, port: 7), entryIndex: 0),
            ],
            factory: metrics.factory
        )
        let text = self.scrape(metrics, table, listeners: [("echo", "tcp")])
        for family in MetricName.all {
            #expect(text.help[family.name] == family.help, "\(family.name)")
            let expected =
                family.name.hasSuffix("_total")
                ? "counter"
                : family.name.hasSuffix("_seconds") && family.name.contains("duration")
                    ? "histogram" : "gauge"
            #expect(text.types[family.name] == expected, "\(family.name)")
        }
    }

    /// Through the real recorder: a connection that ends counts its end reason and its duration once.
    @Test func aRecordedConnectionCountsItsEndAndDuration() throws {
        let metrics = DaemonMetrics(version: "9.9.9")
        let table = CounterTable(listeners: [], factory: metrics.factory)
        let counters = table.counters(service: "echo", transport: .tcp, local: false)
        let logs = CapturedLogs()
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(ConnectionRecorder(try admittedConnection(counters, logs: logs)))
        try channel.pipeline.syncOperations.addHandler(EchoStreamHandler())
        try channel.connect(to: try address("127.0.0.1", 40000)).wait()
        try channel.writeInbound(ByteBuffer(string: "hello"))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(30))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        channel.embeddedEventLoop.run()
        _ = try? channel.finish()

        let text = self.scrape(metrics, table)
        #expect(logs.all.last?.metadata["end"] == "client")
        #expect(text["wellknownd_connections_ended_total{service=\"echo\",end=\"client\"}"] == 1)
        #expect(text["wellknownd_connection_duration_seconds_count{service=\"echo\"}"] == 1)
        #expect(text["wellknownd_connection_duration_seconds_bucket{service=\"echo\",le=\"0.01\"}"] == 0)
        #expect(text["wellknownd_connection_duration_seconds_bucket{service=\"echo\",le=\"0.05\"}"] == 1)
        #expect(text["wellknownd_connections_total{service=\"echo\",proto=\"tcp\"}"] == 1)
        #expect(text["wellknownd_received_bytes_total{service=\"echo\",proto=\"tcp\"}"] == 5)
        #expect(text["wellknownd_sent_bytes_total{service=\"echo\",proto=\"tcp\"}"] == 5)
    }
}
