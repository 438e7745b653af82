/// The metric families the endpoint exposes: their names are part of the interface (labels may be added, never
/// removed), and each has the HELP line Prometheus' lint asks for.
struct MetricName: Sendable, Hashable {
    let name: String
    let help: String

    static let connections = Self(
        "wellknownd_connections_total",
        "Stream connections accepted (TCP and AF_UNIX), refused ones not included."
    )
    static let connectionsOpen = Self("wellknownd_connections_open", "Stream connections open now.")
    static let connectionsEnded = Self(
        "wellknownd_connections_ended_total",
        "Stream connections ended, by the end reason of their log line."
    )
    static let connectionsRefused = Self(
        "wellknownd_connections_refused_total",
        "Stream connections refused by the access lists and limits, or revoked by a reload, by reason."
    )
    static let datagramsReceived = Self("wellknownd_datagrams_received_total", "Datagrams received.")
    static let datagramsReplied = Self("wellknownd_datagrams_replied_total", "Datagram replies sent.")
    static let datagramsDropped = Self(
        "wellknownd_datagrams_dropped_total",
        "Datagrams not answered: refused by the UDP guard, or a whole reply over the reply cap, by reason."
    )
    static let receivedBytes = Self("wellknownd_received_bytes_total", "Bytes received from clients.")
    static let sentBytes = Self("wellknownd_sent_bytes_total", "Bytes sent to clients.")
    static let connectionDuration = Self(
        "wellknownd_connection_duration_seconds",
        "How long stream connections lasted."
    )
    static let reloads = Self("wellknownd_reloads_total", "Configuration reloads, applied or rejected.")
    static let lastReloadSuccess = Self(
        "wellknownd_config_last_reload_success_timestamp_seconds",
        "When the configuration in force was applied (the start, or the last applied reload), in Unix seconds."
    )
    static let buildInfo = Self("wellknownd_build_info", "Always 1; the labels say which wellknownd this is.")
    static let listeners = Self("wellknownd_listeners", "Listening sockets, by service and protocol.")
    static let scrapes = Self(
        "wellknownd_metrics_requests_total",
        "Requests to the metrics endpoint, by HTTP status; refused: connections over its limits."
    )
    static let processStartTime = Self(
        "process_start_time_seconds",
        "Start time of the process since the Unix epoch in seconds."
    )
    static let processCPU = Self("process_cpu_seconds_total", "Total user and system CPU time spent in seconds.")
    static let processOpenFDs = Self("process_open_fds", "Number of open file descriptors.")
    static let processMaxFDs = Self("process_max_fds", "Maximum number of open file descriptors.")
    static let processResidentMemory = Self("process_resident_memory_bytes", "Resident memory size in bytes.")
    static let processVirtualMemory = Self("process_virtual_memory_bytes", "Virtual memory size in bytes.")

    static let all: [MetricName] = [
        .connections, .connectionsOpen, .connectionsEnded, .connectionsRefused, .datagramsReceived,
        .datagramsReplied, .datagramsDropped, .receivedBytes, .sentBytes, .connectionDuration, .reloads,
        .lastReloadSuccess, .buildInfo, .listeners, .scrapes, .processStartTime, .processCPU, .processOpenFDs,
        .processMaxFDs, .processResidentMemory, .processVirtualMemory,
    ]

    /// Connection durations from 1 ms to 1 h: a daytime answer takes well under a millisecond, a telnet session
    /// to echo minutes.
    static let durationBuckets: [Duration] = [
        .milliseconds(1), .milliseconds(5), .milliseconds(10), .milliseconds(50), .milliseconds(100),
        .milliseconds(500), .seconds(1), .seconds(5), .seconds(10), .seconds(30), .seconds(60), .seconds(300),
        .seconds(900), .seconds(3600),
    ]

    private init(_ name: String, _ help: String) {
        self.name = name
        self.help = help
    }
}
