import Yams

extension Configuration {
    /// The top level as its keys are read. `services:` is read after the others, whatever their order in the file,
    /// because its entries take the file's `bind`, `allow` and `deny`.
    struct Draft {
        var gracePeriod = Configuration.defaultGracePeriod
        var udpGuard = UDPGuardConfiguration()
        var limits = ConnectionLimits()
        var runAs = RunAs()
        var defaultAddresses = Configuration.defaultBindAddresses
        var allow: [CIDRBlock]?
        var deny: [CIDRBlock] = []
        var services: Node?
        var metrics: MetricsConfiguration?
        var metricsNode: Node?
    }

    /// The keys of the top level of the file.
    static let configurationKeys: [ConfigurationKey<Draft>] = [
        ConfigurationKey("services", "the list of listeners, at least one entry (see ServiceEntry)") {
            _,
            node,
            _,
            draft in
            draft.services = node
        },
        ConfigurationKey("bind", "default addresses for entries without their own (127.0.0.1 and ::1)") {
            reader,
            node,
            path,
            draft in
            draft.defaultAddresses = reader.addresses(node, path) ?? draft.defaultAddresses
        },
        ConfigurationKey("allow", "networks (CIDR) that may use every service (everyone not denied)") {
            reader,
            node,
            path,
            draft in
            draft.allow = reader.networks(node, path)
        },
        ConfigurationKey("deny", "networks that may use none") { reader, node, path, draft in
            draft.deny = reader.networks(node, path) ?? []
        },
        ConfigurationKey("grace-period", "seconds open TCP connections may run on after SIGTERM (0...3600; 5)") {
            reader,
            node,
            path,
            draft in
            draft.gracePeriod = reader.duration(node, path, range: 0...3600) ?? draft.gracePeriod
        },
        ConfigurationKey("limits", "TCP connection limits (ConnectionLimits)") { reader, node, path, draft in
            reader.readSection(
                node,
                path: path,
                keys: ConnectionLimits.configurationKeys,
                into: &draft.limits,
                example: "per-source-connections: 16"
            )
        },
        ConfigurationKey("udp-guard", "the guard in front of every UDP service (UDPGuardConfiguration)") {
            reader,
            node,
            path,
            draft in
            reader.readSection(
                node,
                path: path,
                keys: UDPGuardConfiguration.configurationKeys,
                into: &draft.udpGuard,
                example: "per-source-rate: 20"
            )
        },
        ConfigurationKey("metrics", "the Prometheus endpoint, off when absent (MetricsConfiguration)") {
            reader,
            node,
            path,
            draft in
            draft.metricsNode = node
            draft.metrics = reader.metrics(node, path)
        },
        ConfigurationKey("user", "who to serve as when started as root (nobody; root to stay root)") {
            reader,
            node,
            path,
            draft in
            draft.runAs.user = reader.accountName(node, path) ?? draft.runAs.user
        },
        ConfigurationKey("group", "... and with which group (the user's primary group)") { reader, node, path, draft in
            draft.runAs.group = reader.accountName(node, path) ?? draft.runAs.group
        },
    ]

    /// Every key of every section, by section (`""` for the top level, `services[]` for an entry): for references
    /// and for the test that checks the README names them all.
    public static var configurationKeyNames: [String: [String]] {
        [
            "": Self.configurationKeys.map(\.name),
            "services[]": ServiceEntry.configurationKeys.map(\.name),
            "limits": ConnectionLimits.configurationKeys.map(\.name),
            "udp-guard": UDPGuardConfiguration.configurationKeys.map(\.name),
            "metrics": MetricsConfiguration.configurationKeys.map(\.name),
        ]
    }
}
