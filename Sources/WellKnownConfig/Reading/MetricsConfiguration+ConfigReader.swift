import Yams

extension MetricsConfiguration {
    /// `metrics:` as its keys are read: `port:` has no default.
    struct Draft {
        var addresses = Configuration.defaultBindAddresses
        var port: Int?
        var path = MetricsConfiguration.defaultPath
        var maximumConnections = 16
        var perSourceConnections = 4
        var timeout: Duration = .seconds(10)
    }

    /// `metrics:`, the Prometheus endpoint.
    static let configurationKeys: [ConfigurationKey<Draft>] = [
        ConfigurationKey("port", "the endpoint's TCP port (required; 0: any free port, logged)") {
            reader,
            node,
            path,
            draft in
            draft.port = reader.port(node, path, allowZero: true)
        },
        ConfigurationKey("bind", "addresses to listen on (127.0.0.1 and ::1, whatever the top-level bind says)") {
            reader,
            node,
            path,
            draft in
            draft.addresses = reader.addresses(node, path) ?? draft.addresses
        },
        ConfigurationKey("path", "the path answered (/metrics)") { reader, node, path, draft in
            draft.path = reader.requestPath(node, path) ?? draft.path
        },
        ConfigurationKey("max-connections", "scrape connections open at once (1...1024; 16)") {
            reader,
            node,
            path,
            draft in
            draft.maximumConnections = reader.count(node, path, range: 1...1024) ?? draft.maximumConnections
        },
        ConfigurationKey("per-source-connections", "... from one source (1...1024, at most max-connections; 4)") {
            reader,
            node,
            path,
            draft in
            draft.perSourceConnections = reader.count(node, path, range: 1...1024) ?? draft.perSourceConnections
        },
        ConfigurationKey("timeout", "seconds a connection has to send its request and read the answer (0.1...600; 10)")
        {
            reader,
            node,
            path,
            draft in
            draft.timeout = reader.duration(node, path, range: 0.1...600) ?? draft.timeout
        },
    ]
}

extension ConfigurationReader {
    /// `metrics:`: its keys, then what needs them all (the port is required; per source is at most the total).
    mutating func metrics(_ node: Node, _ path: String) -> MetricsConfiguration? {
        var draft = MetricsConfiguration.Draft()
        let before = self.errors.count
        self.readSection(
            node,
            path: path,
            keys: MetricsConfiguration.configurationKeys,
            into: &draft,
            example: "port: 9113"
        )
        guard node.mapping != nil else { return nil }
        guard let port = draft.port else {
            if !(node.mapping?.contains { $0.key.string == "port" } ?? false) {
                self.fail(at: node, "\(path).port", "missing: the endpoint's TCP port (0 for any free port)")
            }
            return nil
        }
        if draft.perSourceConnections > draft.maximumConnections {
            let key = node.mapping?.first { $0.key.string == "per-source-connections" }?.value ?? node
            self.fail(
                at: key,
                "\(path).per-source-connections",
                "\(draft.perSourceConnections) is more than max-connections (\(draft.maximumConnections))"
            )
        }
        guard self.errors.count == before else { return nil }
        return MetricsConfiguration(
            addresses: draft.addresses,
            port: port,
            path: draft.path,
            maximumConnections: draft.maximumConnections,
            perSourceConnections: draft.perSourceConnections,
            timeout: draft.timeout
        )
    }

    /// An HTTP request path: absolute, printable ASCII without spaces, `?` or `#`, bounded.
    mutating func requestPath(_ node: Node, _ path: String) -> String? {
        guard let text = self.string(node, path) else { return nil }
        guard text.hasPrefix("/") else {
            self.fail(at: node, path, "'\(text)' is not an absolute path such as /metrics")
            return nil
        }
        guard text.utf8.count <= MetricsConfiguration.maximumPathLength else {
            self.fail(at: node, path, "the path is longer than \(MetricsConfiguration.maximumPathLength) bytes")
            return nil
        }
        guard text.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F && $0 != UInt8(ascii: "?") && $0 != UInt8(ascii: "#") })
        else {
            self.fail(
                at: node,
                path,
                "'\(text)' has a character a request path cannot carry (space, ?, # or non-ASCII)"
            )
            return nil
        }
        return text
    }
}
