import Yams

extension ServiceEntry {
    /// An entry of `services:` as its keys are read; `ConfigurationReader.entry` puts it together, judging the keys
    /// that depend on each other (a port or a path; a path takes one transport and no addresses).
    struct Draft {
        /// Where each key was written, for errors about the key itself.
        var keys: [String: Node] = [:]
        var service: Node?
        var port: Node?
        var path: Node?
        var transport: Node?
        var bind: Node?
        var allow: [CIDRBlock]?
        var deny: [CIDRBlock] = []
        var bounds = StreamBounds()
        var maximumConnections: Int?
    }

    /// Seconds, 0 for none.
    private static func bound(
        _ reader: inout ConfigurationReader,
        _ node: Node,
        _ path: String,
        _ current: Duration?
    ) -> Duration? {
        guard let seconds = reader.number(node, path, range: 0...31_536_000) else { return current }
        return seconds == 0 ? nil : .milliseconds(Int64((seconds * 1000).rounded()))
    }

    /// A count, 0 for none.
    private static func limit(_ reader: inout ConfigurationReader, _ node: Node, _ path: String, _ current: Int?)
        -> Int?
    {
        guard let count = reader.count(node, path, range: 0...Int(Int64.max)) else { return current }
        return count == 0 ? nil : count
    }

    /// The keys of an entry; any other key is an option of its service.
    static let configurationKeys: [ConfigurationKey<Draft>] = [
        ConfigurationKey("service", "a built-in service (the service table)") { _, node, _, draft in
            draft.service = node
        },
        ConfigurationKey("port", "0...65535; 0: a port the kernel picks, logged at start") { _, node, _, draft in
            draft.port = node
        },
        ConfigurationKey("path", "an AF_UNIX socket instead of port and bind") { _, node, _, draft in
            draft.path = node
        },
        ConfigurationKey("transport", "tcp, udp or both (both; a path takes one, tcp by default)") {
            _,
            node,
            _,
            draft in
            draft.transport = node
        },
        ConfigurationKey("bind", "this entry's addresses; \"::\" is dual-stack, every interface") { _, node, _, draft in
            draft.bind = node
        },
        ConfigurationKey("allow", "this entry's allow list, replacing the file's") { reader, node, path, draft in
            draft.allow = reader.networks(node, path)
        },
        ConfigurationKey("deny", "networks denied besides the file's") { reader, node, path, draft in
            draft.deny = reader.networks(node, path) ?? []
        },
        ConfigurationKey("idle-timeout", "seconds without a byte either way, 0 for none (300)") {
            reader,
            node,
            path,
            draft in
            draft.bounds.idleTimeout = Self.bound(&reader, node, path, draft.bounds.idleTimeout)
        },
        ConfigurationKey("max-lifetime", "seconds in all, 0 for none (3600)") { reader, node, path, draft in
            draft.bounds.maximumLifetime = Self.bound(&reader, node, path, draft.bounds.maximumLifetime)
        },
        ConfigurationKey("max-bytes-out", "bytes sent, 0 for none (1 GiB)") { reader, node, path, draft in
            draft.bounds.maximumBytesOut = Self.limit(&reader, node, path, draft.bounds.maximumBytesOut)
        },
        ConfigurationKey("max-bytes-in", "bytes received, 0 for none (1 GiB)") { reader, node, path, draft in
            draft.bounds.maximumBytesIn = Self.limit(&reader, node, path, draft.bounds.maximumBytesIn)
        },
        ConfigurationKey("max-connections", "open TCP connections of this entry (only the global limits)") {
            reader,
            node,
            path,
            draft in
            draft.maximumConnections = Self.limit(&reader, node, path, draft.maximumConnections)
        },
    ]

    /// The names of an entry's own keys: no service may have an option of the same name.
    public static var configurationKeyNames: [String] { Self.configurationKeys.map(\.name) }
}

extension ConfigurationReader {
    mutating func entry(
        _ node: Node,
        index: Int,
        defaultAddresses: [BindAddress],
        access: AccessPolicy
    ) -> ServiceEntry? {
        let path = "services[\(index)]"
        guard let mapping = node.mapping else {
            self.fail(at: node, path, "expected a mapping such as `{service: echo, port: 6007}`")
            return nil
        }
        var draft = ServiceEntry.Draft()
        var optionPairs: [(key: Node, value: Node)] = []
        for (key, value) in mapping {
            let name = key.string ?? ""
            guard let known = ServiceEntry.configurationKeys.first(where: { $0.name == name }) else {
                optionPairs.append((key, value))
                continue
            }
            draft.keys[name] = key
            known.read(&self, value, "\(path).\(name)", &draft)
        }

        var service: ServiceSchemaLookup = .missing
        if let value = draft.service {
            if let name = self.string(value, "\(path).service") {
                if let known = self.schema.services.first(where: { $0.name == name }) {
                    service = .known(known)
                } else {
                    let names = self.schema.services.map(\.name)
                    self.fail(
                        at: value,
                        "\(path).service",
                        "unknown service '\(name)'\(Self.suggestion(for: name, among: names))"
                            + " (known: \(names.joined(separator: ", ")))"
                    )
                    service = .unknown
                }
            } else {
                service = .unknown
            }
        } else {
            self.fail(at: node, path, "missing key 'service'")
        }

        var port: Int?
        var socketPath: String?
        switch (draft.port, draft.path) {
        case (.some, .some):
            self.fail(at: draft.keys["path"], "\(path).path", "an entry has a port or a path, not both")
        case (.some(let value), .none):
            port = self.port(value, "\(path).port", allowZero: true)
        case (.none, .some(let value)):
            socketPath = self.socketPath(value, "\(path).path")
        case (.none, .none):
            self.fail(at: node, "\(path)", "missing key 'port' (or 'path' for an AF_UNIX socket)")
        }

        var transports = Transport.allCases
        if let value = draft.transport {
            switch self.string(value, "\(path).transport") {
            case "tcp": transports = [.tcp]
            case "udp": transports = [.udp]
            case "both" where draft.path != nil:
                self.fail(at: value, "\(path).transport", "a path takes one transport: tcp (stream) or udp (datagram)")
                transports = [.tcp]  // one error is enough: do not also report the path colliding with itself
            case "both": transports = [.tcp, .udp]
            case .some(let other):
                self.fail(at: value, "\(path).transport", "'\(other)' is not one of tcp, udp, both")
            case .none: break
            }
        } else if draft.path != nil {
            transports = [.tcp]
        }
        if case .known(let schema) = service, schema.transports != Transport.allCases {
            let unsupported = transports.filter { !schema.transports.contains($0) }
            if draft.transport == nil {
                transports = schema.transports
            } else if let transport = unsupported.first {
                let spoken = schema.transports.map(\.rawValue).joined(separator: ", ")
                self.fail(
                    at: draft.transport,
                    "\(path).transport",
                    "\(schema.name) is served over \(spoken) only, not \(transport.rawValue)"
                )
            }
        }

        var addresses = defaultAddresses
        if let value = draft.bind {
            if draft.path != nil {
                self.fail(at: draft.keys["bind"], "\(path).bind", "an AF_UNIX entry (path) has no addresses to bind")
            } else if let given = self.addresses(value, "\(path).bind") {
                addresses = given
            }
        }
        if socketPath != nil {
            addresses = []
        }

        var options: [String: EntryOption] = [:]
        for (key, value) in optionPairs {
            let name = key.string ?? ""
            let keyPath = "\(path).\(name)"
            switch service {
            case .known(let schema):
                guard let kind = schema.options[name] else {
                    let known = ServiceEntry.configurationKeyNames + schema.options.keys.sorted()
                    self.fail(at: key, keyPath, self.unknownKeyMessage(name, known: known, service: schema))
                    continue
                }
                if let option = self.option(value, keyPath, kind: kind) {
                    options[name] = option
                }
            case .unknown, .missing:
                // Without a known service its options cannot be judged; flag only keys no service has.
                let everyOption = Set(self.schema.services.flatMap(\.options.keys))
                if !everyOption.contains(name) {
                    self.fail(at: key, keyPath, self.unknownKeyMessage(name, known: ServiceEntry.configurationKeyNames))
                }
            }
        }

        guard case .known(let schema) = service, port != nil || socketPath != nil else { return nil }
        return ServiceEntry(
            index: index,
            service: schema.name,
            port: port,
            path: socketPath,
            transports: transports,
            addresses: addresses,
            bounds: draft.bounds,
            maximumConnections: draft.maximumConnections,
            access: access.narrowed(allow: draft.allow, deny: draft.deny),
            options: options,
            location: self.location(of: node)
        )
    }

    /// A service option's value, checked against its kind and typed.
    mutating func option(_ node: Node, _ path: String, kind: ConfigurationSchema.OptionKind) -> EntryOption? {
        let location = self.location(of: node)
        switch kind {
        case .choice(let allowed):
            guard let text = self.string(node, path) else { return nil }
            guard allowed.contains(text) else {
                self.fail(at: node, path, "'\(text)' is not one of \(allowed.joined(separator: ", "))")
                return nil
            }
            return EntryOption(.text(text), location: location)
        case .text:
            return self.string(node, path).map { EntryOption(.text($0), location: location) }
        case .integer(let range):
            return self.count(node, path, range: range).map { EntryOption(.integer($0), location: location) }
        case .list:
            let items = node.sequence.map { Array($0.enumerated()).map { ($0.element, "\(path)[\($0.offset)]") } }
            var words: [String] = []
            for (item, itemPath) in items ?? [(node, path)] {
                guard let word = self.string(item, itemPath) else { return nil }
                words.append(word)
            }
            return EntryOption(.list(words), location: location)
        case .file:
            guard let text = self.string(node, path) else { return nil }
            guard text.hasPrefix("/") else {
                self.fail(at: node, path, "'\(text)' is not an absolute path")
                return nil
            }
            return EntryOption(.file(text), location: location)
        }
    }

    private enum ServiceSchemaLookup {
        case missing
        case unknown
        case known(ConfigurationSchema.Service)
    }
}
