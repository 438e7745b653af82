import Yams

extension UDPGuardConfiguration {
    /// `udp-guard:`, the guard in front of every UDP service.
    static let configurationKeys: [ConfigurationKey<UDPGuardConfiguration>] = [
        ConfigurationKey(
            "deny-source-ports",
            "source ports refused besides 0 and the daemon's own UDP ports (1...65535 each)"
        ) { reader, node, path, settings in
            let items = node.sequence.map(Array.init) ?? [node]
            var ports: [Int] = []
            for (offset, item) in items.enumerated() {
                if let port = reader.port(item, node.sequence == nil ? path : "\(path)[\(offset)]") {
                    ports.append(port)
                }
            }
            settings.deniedSourcePorts = ports
        },
        ConfigurationKey("per-source-rate", "datagrams answered a second per source (0.001...1000000; 20)") {
            reader,
            node,
            path,
            settings in
            settings.perSourceRate =
                reader.number(node, path, range: 0.001...1_000_000, unit: "per second") ?? settings.perSourceRate
        },
        ConfigurationKey("per-source-burst", "the per-source burst (1...1000000; 40)") { reader, node, path, settings in
            settings.perSourceBurst = reader.count(node, path, range: 1...1_000_000) ?? settings.perSourceBurst
        },
        ConfigurationKey("total-rate", "datagrams answered a second over all sources (0.001...100000000; 2000)") {
            reader,
            node,
            path,
            settings in
            settings.totalRate =
                reader.number(node, path, range: 0.001...100_000_000, unit: "per second") ?? settings.totalRate
        },
        ConfigurationKey("total-burst", "the total burst (1...100000000; 4000)") { reader, node, path, settings in
            settings.totalBurst = reader.count(node, path, range: 1...100_000_000) ?? settings.totalBurst
        },
        ConfigurationKey("reply-factor", "a reply is at most factor × request bytes (0...1000; 1) ...") {
            reader,
            node,
            path,
            settings in
            settings.replyFactor = reader.number(node, path, range: 0...1000, unit: "") ?? settings.replyFactor
        },
        ConfigurationKey("reply-floor", "... or this many bytes if larger (0...65507; 64)") {
            reader,
            node,
            path,
            settings in
            settings.replyFloor = reader.count(node, path, range: 0...65507) ?? settings.replyFloor
        },
        ConfigurationKey("drop-log-interval", "seconds between summaries of dropped datagrams (0.1...86400; 10)") {
            reader,
            node,
            path,
            settings in
            settings.dropLogInterval = reader.duration(node, path, range: 0.1...86400) ?? settings.dropLogInterval
        },
    ]
}
