extension ConfigurationImporter.Reader {
    /// Every attribute xinetd.conf(5) defines, by what becomes of it.
    static let carried: Set<String> = [
        "type", "id", "socket_type", "protocol", "port", "bind", "interface", "flags", "disable", "only_from",
        "no_access", "instances", "per_source", "cps", "enabled", "disabled",
    ]
    /// Meaningless for a built-in: dropped without a word.
    static let quiet: Set<String> = ["user", "group", "wait", "groups", "umask", "nice"]
    /// Cannot be carried: a note each.
    static let notCarried: [String: String] = [
        "access_times": "wellknownd has no time-of-day access",
        "redirect": "wellknownd does not forward connections",
        "banner": "wellknownd sends no banners", "banner_success": "wellknownd sends no banners",
        "banner_fail": "wellknownd sends no banners",
        "log_type": "wellknownd logs every connection's socket pair to stderr or the journal",
        "log_on_success": "wellknownd logs every connection's socket pair to stderr or the journal",
        "log_on_failure": "wellknownd logs refusals, summarised per reason",
        "server": "", "server_args": "", "env": "", "passenv": "", "rlimit_as": "", "rlimit_cpu": "",
        "rlimit_data": "", "rlimit_rss": "", "rlimit_stack": "", "rlimit_files": "", "max_load": "",
        "deny_time": "", "mdns": "", "libwrap": "wellknownd has allow and deny lists of its own", "v6only": "",
    ]

    /// The values of `name` for a service: the defaults', then the service's own (`=` replaces, `+=` adds, `-=`
    /// takes away).
    private static func values(
        _ name: String,
        defaults: [XinetdParser.Attribute],
        service: [XinetdParser.Attribute],
        inherits: Bool
    ) -> (values: [String], location: ImportLocation?)? {
        var values: [String]?
        var location: ImportLocation?
        for attribute in (inherits ? defaults : []) + service where attribute.name == name {
            switch attribute.operation {
            case .set: values = attribute.values
            case .add: values = (values ?? []) + attribute.values
            case .remove: values = (values ?? []).filter { !attribute.values.contains($0) }
            }
            location = attribute.location
        }
        return values.map { ($0, location) }
    }

    mutating func convertXinetd() throws(ImportIssue) {
        let defaults = self.xinetdBlocks.filter { $0.service == nil }.flatMap(\.attributes)
        for attribute in defaults {
            try self.check(attribute)
            self.noteIfNotCarried(attribute)
        }
        let disabledByDefaults = Set(defaults.filter { $0.name == "disabled" }.flatMap(\.values))
        let enabledByDefaults = defaults.filter { $0.name == "enabled" }.flatMap(\.values)
        for block in self.xinetdBlocks {
            guard let name = block.service else { continue }
            for attribute in block.attributes {
                try self.check(attribute)
            }
            func value(_ key: String, inherits: Bool = false) -> [String]? {
                Self.values(key, defaults: defaults, service: block.attributes, inherits: inherits)?.values
            }
            let location = block.location
            let types = Set(value("type") ?? [])
            if types.contains("RPC") {
                self.note(location, "service \(name): RPC services are not carried")
                continue
            }
            guard types.contains("INTERNAL") else {
                let server = value("server")?.first.map { " (\($0))" } ?? ""
                self.note(
                    location,
                    "service \(name)\(server): not a built-in service: use a systemd .socket with Accept=yes"
                )
                continue
            }
            let id = value("id")?.first ?? name
            var base = id
            for suffix in ["-stream", "-dgram"] where base.hasSuffix(suffix) {
                base = String(base.dropLast(suffix.count))
            }
            guard let service = ConfigurationImporter.builtIns[base] else {
                self.note(location, "service \(name): xinetd's internal \(id) is not a wellknownd built-in")
                continue
            }
            let transport: ImportedEntry.Transport
            switch value("socket_type")?.first {
            case "stream": transport = .tcp
            case "dgram": transport = .udp
            case let other?:
                self.note(location, "service \(name): socket_type \(other) is not carried")
                continue
            case nil:
                throw ImportIssue(location, "service \(name): no socket_type (stream or dgram)")
            }
            if let proto = value("protocol")?.first, proto != transport.rawValue {
                throw ImportIssue(
                    location,
                    "service \(name): protocol \(proto) does not go with socket_type \(value("socket_type")?.first ?? "")"
                )
            }
            let disabled =
                value("disable")?.first == "yes" || disabledByDefaults.contains(id)
                || disabledByDefaults.contains(name)
                || (!enabledByDefaults.isEmpty && !enabledByDefaults.contains(id) && !enabledByDefaults.contains(name))
            if disabled && !self.importer.includeDisabled {
                self.result.notes.append(ImportIssue(location, "service \(name) (\(id)) is disabled: not imported"))
                continue
            }
            if (service == "tcpmux" || service == "ident") && transport == .udp {
                self.note(location, "service \(name): wellknownd serves \(service) over TCP only")
                continue
            }
            let port: Int
            if let text = value("port")?.first {
                guard let number = Int(text), (1...65535).contains(number) else {
                    throw ImportIssue(location, "service \(name): port \(text) is not 1-65535")
                }
                port = number
            } else if let known = self.importer.services.port(of: name, protocol: transport.rawValue) {
                port = known
            } else {
                throw ImportIssue(location, "service \(name): no port, and none for it in the services file")
            }
            let flags = Set(value("flags", inherits: true) ?? [])
            var addresses = ["0.0.0.0"]
            if flags.contains("IPv6") || flags.contains("DUALSTACK") { addresses = ["::"] }
            if let bind = value("bind", inherits: true) ?? value("interface", inherits: true) {
                guard let address = bind.first, ConfigurationImporter.isNumericAddress(address) else {
                    self.note(
                        location,
                        "service \(name): bind \(bind.joined(separator: " ")) is not a numeric address (names are not resolved): not imported"
                    )
                    continue
                }
                addresses = [address]
            }
            var entry = ImportedEntry(
                service: service,
                transport: transport,
                port: port,
                addresses: addresses,
                location: location
            )
            entry.allow = self.networks(
                value("only_from", inherits: true) ?? [],
                of: name,
                key: "only_from",
                at: location
            )
            .filter { $0 != "0.0.0.0" && $0 != "0.0.0.0/0" }
            entry.deny = self.networks(
                value("no_access", inherits: true) ?? [],
                of: name,
                key: "no_access",
                at: location
            )
            if let instances = value("instances", inherits: true)?.first, instances != "UNLIMITED" {
                guard let count = Int(instances), count > 0 else {
                    throw ImportIssue(location, "service \(name): instances \(instances) is not a number or UNLIMITED")
                }
                entry.maximumConnections = count
            }
            if let perSource = value("per_source", inherits: true)?.first, perSource != "UNLIMITED" {
                guard let count = Int(perSource), count > 0 else {
                    throw ImportIssue(location, "service \(name): per_source \(perSource) is not a number or UNLIMITED")
                }
                self.result.perSourceConnections = min(self.result.perSourceConnections ?? count, count)
            }
            if let cps = value("cps", inherits: true)?.first {
                guard let rate = Double(cps), rate > 0 else {
                    throw ImportIssue(location, "service \(name): cps \(cps) is not a rate")
                }
                self.result.perSourceAcceptRate = min(self.result.perSourceAcceptRate ?? rate, rate)
            }
            for attribute in block.attributes {
                self.noteIfNotCarried(attribute)
            }
            self.result.entries.append(entry)
        }
    }

    private mutating func noteIfNotCarried(_ attribute: XinetdParser.Attribute) {
        guard let reason = Self.notCarried[attribute.name] else { return }
        self.note(
            attribute.location,
            "\(attribute.name): not carried: \(reason.isEmpty ? "it means nothing for a built-in" : reason)"
        )
    }

    /// The attribute is one xinetd has.
    private func check(_ attribute: XinetdParser.Attribute) throws(ImportIssue) {
        let name = attribute.name
        guard Self.carried.contains(name) || Self.quiet.contains(name) || Self.notCarried[name] != nil else {
            throw ImportIssue(attribute.location, "unknown attribute '\(name)'")
        }
    }

    /// only_from and no_access values as wellknownd networks; what is not numeric (host names, domains, xinetd's
    /// `192.168.1.` and `{a,b}` forms) gets a note.
    private mutating func networks(_ values: [String], of service: String, key: String, at location: ImportLocation)
        -> [String]
    {
        var networks: [String] = []
        for value in values {
            if ConfigurationImporter.isNumericNetwork(value) {
                networks.append(value)
            } else {
                self.note(
                    location,
                    "service \(service): \(key) \(value) is not a numeric network (names are not resolved): not carried"
                )
            }
        }
        return networks
    }
}
