import Yams

extension ConnectionLimits {
    /// `limits:`, the TCP connection limits.
    static let configurationKeys: [ConfigurationKey<ConnectionLimits>] = [
        ConfigurationKey("connections", "open connections over all services (1...10000000; 4096)") {
            reader,
            node,
            path,
            limits in
            limits.connections = reader.count(node, path, range: 1...10_000_000) ?? limits.connections
        },
        ConfigurationKey(
            "per-source-connections",
            "open connections per source, an IPv4 address or an IPv6 /64 (1...10000000; 64)"
        ) { reader, node, path, limits in
            limits.perSourceConnections =
                reader.count(node, path, range: 1...10_000_000) ?? limits.perSourceConnections
        },
        ConfigurationKey(
            "per-source-accept-rate",
            "new connections a second per source, in a token bucket (0.001...10000000; 50)"
        ) { reader, node, path, limits in
            limits.perSourceAcceptRate =
                reader.number(node, path, range: 0.001...10_000_000, unit: "per second") ?? limits.perSourceAcceptRate
        },
        ConfigurationKey("per-source-accept-burst", "the bucket's burst (1...10000000; 100)") {
            reader,
            node,
            path,
            limits in
            limits.perSourceAcceptBurst =
                reader.count(node, path, range: 1...10_000_000) ?? limits.perSourceAcceptBurst
        },
        ConfigurationKey("refusal-log-interval", "seconds between summaries of refused connections (0.1...86400; 10)") {
            reader,
            node,
            path,
            limits in
            limits.refusalLogInterval =
                reader.duration(node, path, range: 0.1...86400) ?? limits.refusalLogInterval
        },
    ]
}
