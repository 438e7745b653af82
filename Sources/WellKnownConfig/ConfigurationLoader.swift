// Reads wellknownd's YAML configuration. Keys:
//
//   grace-period: 5                 seconds open TCP connections may run on after SIGTERM (0...3600; default 5)
//   limits:                         TCP connection limits (ConnectionLimits), all optional:
//     connections: 4096             open connections over all services
//     per-source-connections: 64    open connections per source (IPv4 address, IPv6 /64)
//     per-source-accept-rate: 50    new connections per second per source, in a token bucket ...
//     per-source-accept-burst: 100  ... with this burst
//     refusal-log-interval: 10      seconds between summaries of refused connections
//   udp-guard:                      the guard in front of every UDP service (UDPGuardConfiguration), all optional:
//     deny-source-ports: [7, 19]    refused source ports besides 0 and our own UDP ports (default: 7 9 13 17 19
//                                   37 53 123 161 1900 11211)
//     per-source-rate: 20           datagrams answered per second per source (IPv4 address, IPv6 /64)
//     per-source-burst: 40
//     total-rate: 2000              ... over all sources together
//     total-burst: 4000
//     reply-factor: 1               a reply is at most factor × request bytes, or reply-floor bytes if larger
//     reply-floor: 64
//     drop-log-interval: 10         seconds between summaries of dropped datagrams
//   user: nobody                    who to serve as when started as root (default nobody; `root` to stay root)
//   group: nogroup                  ... and with which group (default: the user's primary group)
//   bind: [127.0.0.1, "::1"]        default addresses for entries without their own (default: loopback only)
//   allow: [10.0.0.0/8, "::1"]      networks (CIDR) that may use every service (default: everyone not denied)
//   deny: [198.51.100.0/24]         networks that may use none
//   services:                       the list of listeners, at least one entry:
//     - service: daytime            a built-in service: echo, discard, chargen, daytime, time
//       port: 6013                  1...65535, or 0 for a port the kernel picks (logged at start)
//       transport: both             tcp, udp or both (default both)
//       bind: ["::"]                this entry's addresses; "::" is dual-stack (IPv4 too), every interface
//     - service: echo
//       path: /run/wellknownd/echo.sock   an AF_UNIX socket instead of port and bind: tcp = stream (default),
//       transport: tcp                     udp = datagram; one transport per path
//       idle-timeout: 300           TCP bounds per connection, 0 for none: seconds without a byte either way,
//       max-lifetime: 3600          seconds in all,
//       max-bytes-out: 1073741824   bytes sent,
//       max-bytes-in: 1073741824    bytes received;
//       max-connections: 256        open TCP connections of this entry (default: only the global limits)
//       allow: [127.0.0.0/8]        this entry's allow list (replaces the file's); deny: adds to the file's
//       format: rfc3339             any option of that service (daytime: format, zone; chargen: udp-mode)
//
// Every problem is reported with its position, all of them at once, and nothing of a bad file is used.
import Yams

/// What the loader must know about the services: their names and options. The daemon builds it from the service
/// table, so this module needs no knowledge of any particular service.
public struct ConfigurationSchema: Sendable {
    public struct Service: Sendable {
        public var name: String
        /// Option key → accepted values (nil: any string; the service checks it when it is configured).
        public var options: [String: [String]?]

        public init(name: String, options: [String: [String]?]) {
            self.name = name
            self.options = options
        }
    }

    public var services: [Service]

    public init(services: [Service]) {
        self.services = services
    }
}

public struct ConfigurationLoader: Sendable {
    public let schema: ConfigurationSchema

    public init(schema: ConfigurationSchema) {
        self.schema = schema
    }

    public func load(path: String) throws(ConfigurationErrors) -> Configuration {
        let text: String
        do {
            text = try ConfigurationFile.read(path: path)
        } catch {
            throw ConfigurationErrors([error])
        }
        return try self.parse(text, source: path)
    }

    public func parse(_ text: String, source: String) throws(ConfigurationErrors) -> Configuration {
        var reader = DocumentReader(source: source, schema: self.schema)
        let configuration = reader.read(text)
        guard reader.errors.isEmpty, let configuration else {
            throw ConfigurationErrors(reader.errors)
        }
        return configuration
    }
}

private struct DocumentReader {
    static let topLevelKeys = [
        "services", "bind", "allow", "deny", "grace-period", "limits", "udp-guard", "user", "group",
    ]
    static let limitKeys = [
        "connections", "per-source-connections", "per-source-accept-rate", "per-source-accept-burst",
        "refusal-log-interval",
    ]
    static let boundKeys = ["idle-timeout", "max-lifetime", "max-bytes-out", "max-bytes-in", "max-connections"]
    static let udpGuardKeys = [
        "deny-source-ports", "per-source-rate", "per-source-burst", "total-rate", "total-burst", "reply-factor",
        "reply-floor", "drop-log-interval",
    ]
    static let entryKeys = ["service", "port", "path", "transport", "bind", "allow", "deny"] + boundKeys
    /// sun_path holds 108 bytes with the terminating NUL.
    static let maximumPathLength = 107

    let source: String
    let schema: ConfigurationSchema
    var errors: [ConfigurationError] = []

    init(source: String, schema: ConfigurationSchema) {
        self.source = source
        self.schema = schema
    }

    mutating func read(_ text: String) -> Configuration? {
        let root: Node?
        do {
            root = try Yams.compose(yaml: text)
        } catch {
            self.errors.append(self.syntaxError(error, text: text))
            return nil
        }
        guard let root, root.mapping != nil || root.scalar?.string.isEmpty == false || root.sequence != nil else {
            self.fail(at: nil, "", "the file is empty: it needs a `services:` list")
            return nil
        }
        guard let top = root.mapping else {
            self.fail(at: root, "", "expected a mapping with a `services:` list at the top level")
            return nil
        }

        var nodes: [String: Node] = [:]
        for (key, value) in top {
            let name = key.string ?? ""
            if Self.topLevelKeys.contains(name) {
                nodes[name] = value
            } else {
                self.fail(at: key, name, self.unknownKeyMessage(name, known: Self.topLevelKeys))
            }
        }

        var gracePeriod = Configuration.defaultGracePeriod
        if let node = nodes["grace-period"], let seconds = self.number(node, "grace-period", range: 0...3600) {
            gracePeriod = .milliseconds(Int64((seconds * 1000).rounded()))
        }
        let access = AccessPolicy.everyone.narrowed(
            allow: nodes["allow"].flatMap { self.networks($0, "allow") },
            deny: nodes["deny"].flatMap { self.networks($0, "deny") } ?? []
        )
        var defaultAddresses = Configuration.defaultBindAddresses
        if let node = nodes["bind"], let addresses = self.addresses(node, "bind") {
            defaultAddresses = addresses
        }

        guard let servicesNode = nodes["services"] else {
            self.fail(at: root, "services", "missing: the list of services to serve")
            return nil
        }
        guard let list = servicesNode.sequence else {
            self.fail(at: servicesNode, "services", "expected a list of entries (`- service: echo`)")
            return nil
        }
        if list.isEmpty {
            self.fail(at: servicesNode, "services", "the list is empty: nothing would be served")
        }
        var entries: [ServiceEntry] = []
        for (index, node) in list.enumerated() {
            if let entry = self.entry(node, index: index, defaultAddresses: defaultAddresses, access: access) {
                entries.append(entry)
            }
        }
        var udpGuard = UDPGuardConfiguration()
        if let node = nodes["udp-guard"] {
            udpGuard = self.udpGuard(node)
        }
        var limits = ConnectionLimits()
        if let node = nodes["limits"] {
            limits = self.limits(node)
        }
        var identity = RunAs()
        for (key, node) in [("user", nodes["user"]), ("group", nodes["group"])] {
            guard let node, let name = self.string(node, key) else { continue }
            guard !name.isEmpty, !name.contains(where: { $0 == ":" || $0 == "/" || $0.isWhitespace }) else {
                self.fail(at: node, key, "'\(name)' is not a \(key) name")
                continue
            }
            let value = OptionValue(name, location: self.location(of: node))
            if key == "user" { identity.user = value } else { identity.group = value }
        }
        let configuration = Configuration(
            source: self.source,
            services: entries,
            gracePeriod: gracePeriod,
            udpGuard: udpGuard,
            limits: limits,
            runAs: identity
        )
        self.checkOverlaps(configuration, entryNodes: Array(list))
        return configuration
    }

    // MARK: Entries

    private mutating func entry(
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
        var pairs: [String: (key: Node, value: Node)] = [:]
        for (key, value) in mapping {
            pairs[key.string ?? ""] = (key, value)
        }

        var service: ServiceSchemaLookup = .missing
        if let (_, value) = pairs["service"] {
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
        switch (pairs["port"], pairs["path"]) {
        case (.some, .some(let pathPair)):
            self.fail(at: pathPair.key, "\(path).path", "an entry has a port or a path, not both")
        case (.some((_, let value)), .none):
            port = self.port(value, "\(path).port", allowZero: true)
        case (.none, .some((_, let value))):
            socketPath = self.socketPath(value, "\(path).path")
        case (.none, .none):
            self.fail(at: node, "\(path)", "missing key 'port' (or 'path' for an AF_UNIX socket)")
        }

        var transports = Transport.allCases
        if let (_, value) = pairs["transport"] {
            switch self.string(value, "\(path).transport") {
            case "tcp": transports = [.tcp]
            case "udp": transports = [.udp]
            case "both" where pairs["path"] != nil:
                self.fail(at: value, "\(path).transport", "a path takes one transport: tcp (stream) or udp (datagram)")
                transports = [.tcp]  // one error is enough: do not also report the path colliding with itself
            case "both": transports = [.tcp, .udp]
            case .some(let other):
                self.fail(at: value, "\(path).transport", "'\(other)' is not one of tcp, udp, both")
            case .none: break
            }
        } else if pairs["path"] != nil {
            transports = [.tcp]
        }

        var addresses = defaultAddresses
        if let (key, value) = pairs["bind"] {
            if pairs["path"] != nil {
                self.fail(at: key, "\(path).bind", "an AF_UNIX entry (path) has no addresses to bind")
            } else if let given = self.addresses(value, "\(path).bind") {
                addresses = given
            }
        }
        if socketPath != nil {
            addresses = []
        }

        var bounds = StreamBounds()
        var maximumConnections: Int?
        func duration(_ key: String, _ current: Duration?) -> Duration? {
            guard let (_, value) = pairs[key] else { return current }
            guard let seconds = self.number(value, "\(path).\(key)", range: 0...31_536_000) else { return current }
            return seconds == 0 ? nil : .milliseconds(Int64((seconds * 1000).rounded()))
        }
        func limit(_ key: String, _ current: Int?) -> Int? {
            guard let (_, value) = pairs[key] else { return current }
            guard let count = self.count(value, "\(path).\(key)", range: 0...Int(Int64.max)) else { return current }
            return count == 0 ? nil : count
        }
        bounds.idleTimeout = duration("idle-timeout", bounds.idleTimeout)
        bounds.maximumLifetime = duration("max-lifetime", bounds.maximumLifetime)
        bounds.maximumBytesOut = limit("max-bytes-out", bounds.maximumBytesOut)
        bounds.maximumBytesIn = limit("max-bytes-in", bounds.maximumBytesIn)
        maximumConnections = limit("max-connections", nil)
        let entryAccess = access.narrowed(
            allow: pairs["allow"].flatMap { self.networks($0.value, "\(path).allow") },
            deny: pairs["deny"].flatMap { self.networks($0.value, "\(path).deny") } ?? []
        )

        var options: [String: OptionValue] = [:]
        for (key, value) in mapping {
            let name = key.string ?? ""
            if Self.entryKeys.contains(name) { continue }
            switch service {
            case .known(let schema):
                guard let allowed = schema.options[name] else {
                    let known = Self.entryKeys + schema.options.keys.sorted()
                    self.fail(at: key, "\(path).\(name)", self.unknownKeyMessage(name, known: known, service: schema))
                    continue
                }
                guard let text = self.string(value, "\(path).\(name)") else { continue }
                if let allowed, !allowed.contains(text) {
                    self.fail(
                        at: value,
                        "\(path).\(name)",
                        "'\(text)' is not one of \(allowed.joined(separator: ", "))"
                    )
                    continue
                }
                options[name] = OptionValue(text, location: self.location(of: value))
            case .unknown, .missing:
                // Without a known service its options cannot be judged; flag only keys no service has.
                let everyOption = Set(self.schema.services.flatMap(\.options.keys))
                if !everyOption.contains(name) {
                    self.fail(at: key, "\(path).\(name)", self.unknownKeyMessage(name, known: Self.entryKeys))
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
            bounds: bounds,
            maximumConnections: maximumConnections,
            access: entryAccess,
            options: options,
            location: self.location(of: node)
        )
    }

    private enum ServiceSchemaLookup {
        case missing
        case unknown
        case known(ConfigurationSchema.Service)
    }

    /// Two listeners on one transport and port whose addresses collide would fail at bind time; say so now.
    private mutating func checkOverlaps(_ configuration: Configuration, entryNodes: [Node]) {
        var seen: [Listener] = []
        for listener in configuration.listeners {
            if let earlier = seen.first(where: {
                $0.address.collides(with: listener.address, sameTransport: $0.transport == listener.transport)
            }) {
                let node = entryNodes[listener.entryIndex]
                let key = if case .unix = listener.address { "path" } else { "port" }
                let portNode = node.mapping?.first { $0.key.string == key }?.value ?? node
                let earlierLine = self.location(of: entryNodes[earlier.entryIndex]).line
                let what =
                    earlier.entryIndex == listener.entryIndex
                    ? "listed twice in this entry"
                    : "already claimed by services[\(earlier.entryIndex)] (line \(earlierLine))"
                let message =
                    "\(listener.transport.rawValue) \(listener.address) overlaps "
                    + "\(earlier.transport.rawValue) \(earlier.address), \(what)"
                self.fail(at: portNode, "services[\(listener.entryIndex)].\(key)", message)
            } else {
                seen.append(listener)
            }
        }
    }

    private mutating func limits(_ node: Node) -> ConnectionLimits {
        var limits = ConnectionLimits()
        guard let mapping = node.mapping else {
            self.fail(at: node, "limits", "expected a mapping of settings such as `per-source-connections: 16`")
            return limits
        }
        for (key, value) in mapping {
            let name = key.string ?? ""
            let path = "limits.\(name)"
            switch name {
            case "connections":
                limits.connections = self.count(value, path, range: 1...10_000_000) ?? limits.connections
            case "per-source-connections":
                limits.perSourceConnections =
                    self.count(value, path, range: 1...10_000_000) ?? limits.perSourceConnections
            case "per-source-accept-rate":
                limits.perSourceAcceptRate =
                    self.number(value, path, range: 0.001...10_000_000, unit: "per second")
                    ?? limits.perSourceAcceptRate
            case "per-source-accept-burst":
                limits.perSourceAcceptBurst =
                    self.count(value, path, range: 1...10_000_000) ?? limits.perSourceAcceptBurst
            case "refusal-log-interval":
                if let seconds = self.number(value, path, range: 0.1...86400) {
                    limits.refusalLogInterval = .milliseconds(Int64((seconds * 1000).rounded()))
                }
            default:
                self.fail(at: key, path, self.unknownKeyMessage(name, known: Self.limitKeys))
            }
        }
        return limits
    }

    private mutating func udpGuard(_ node: Node) -> UDPGuardConfiguration {
        var guardSettings = UDPGuardConfiguration()
        guard let mapping = node.mapping else {
            self.fail(at: node, "udp-guard", "expected a mapping of settings such as `per-source-rate: 20`")
            return guardSettings
        }
        for (key, value) in mapping {
            let name = key.string ?? ""
            let path = "udp-guard.\(name)"
            switch name {
            case "deny-source-ports":
                let items = value.sequence.map(Array.init) ?? [value]
                var ports: [Int] = []
                for (offset, item) in items.enumerated() {
                    if let port = self.port(item, value.sequence == nil ? path : "\(path)[\(offset)]") {
                        ports.append(port)
                    }
                }
                guardSettings.deniedSourcePorts = ports
            case "per-source-rate":
                guardSettings.perSourceRate =
                    self.number(value, path, range: 0.001...1_000_000, unit: "per second")
                    ?? guardSettings.perSourceRate
            case "total-rate":
                guardSettings.totalRate =
                    self.number(value, path, range: 0.001...100_000_000, unit: "per second") ?? guardSettings.totalRate
            case "per-source-burst":
                guardSettings.perSourceBurst =
                    self.count(value, path, range: 1...1_000_000) ?? guardSettings.perSourceBurst
            case "total-burst":
                guardSettings.totalBurst = self.count(value, path, range: 1...100_000_000) ?? guardSettings.totalBurst
            case "reply-factor":
                guardSettings.replyFactor =
                    self.number(value, path, range: 0...1000, unit: "") ?? guardSettings.replyFactor
            case "reply-floor":
                guardSettings.replyFloor = self.count(value, path, range: 0...65507) ?? guardSettings.replyFloor
            case "drop-log-interval":
                if let seconds = self.number(value, path, range: 0.1...86400) {
                    guardSettings.dropLogInterval = .milliseconds(Int64((seconds * 1000).rounded()))
                }
            default:
                self.fail(at: key, path, self.unknownKeyMessage(name, known: Self.udpGuardKeys))
            }
        }
        return guardSettings
    }

    // MARK: Scalars

    private mutating func count(_ node: Node, _ path: String, range: ClosedRange<Int>) -> Int? {
        guard node.scalar != nil, node.tagName == .int, let value = node.int else {
            self.fail(at: node, path, "expected a whole number, found \(Self.kind(of: node))")
            return nil
        }
        guard range.contains(value) else {
            self.fail(at: node, path, "\(value) is outside \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return value
    }

    private mutating func string(_ node: Node, _ path: String) -> String? {
        guard let scalar = node.scalar, node.tagName != .null else {
            self.fail(at: node, path, "expected a single value, found \(Self.kind(of: node))")
            return nil
        }
        return scalar.string
    }

    /// `allowZero`: an entry's `port: 0`, a port the kernel picks when the daemon starts.
    private mutating func port(_ node: Node, _ path: String, allowZero: Bool = false) -> Int? {
        let range = allowZero ? 0...65535 : 1...65535
        let what = allowZero ? "a port number 0...65535 (0: any free port)" : "a port number 1...65535"
        guard node.scalar != nil, node.tagName == .int, let value = node.int else {
            self.fail(at: node, path, "expected \(what), found \(Self.kind(of: node))")
            return nil
        }
        guard range.contains(value) else {
            self.fail(at: node, path, "port \(value) is outside \(range.lowerBound)...\(range.upperBound)")
            return nil
        }
        return value
    }

    private mutating func socketPath(_ node: Node, _ path: String) -> String? {
        guard let text = self.string(node, path) else { return nil }
        guard text.hasPrefix("/") else {
            self.fail(at: node, path, "'\(text)' is not an absolute path")
            return nil
        }
        guard text.utf8.count <= Self.maximumPathLength else {
            self.fail(
                at: node,
                path,
                "the path is longer than the \(Self.maximumPathLength) bytes an AF_UNIX address holds"
            )
            return nil
        }
        return text
    }

    /// A number (integer or decimal) in `range`; `unit` names it in messages.
    private mutating func number(
        _ node: Node,
        _ path: String,
        range: ClosedRange<Double>,
        unit: String = "seconds"
    ) -> Double? {
        let value: Double?
        switch node.tagName {
        case .int: value = node.int.map(Double.init)
        case .float: value = node.float
        default: value = nil
        }
        guard node.scalar != nil, let value, value.isFinite else {
            let what = unit == "seconds" ? "a number of seconds such as 5 or 2.5" : "a number such as 20 or 2.5"
            self.fail(at: node, path, "expected \(what), found \(Self.kind(of: node))")
            return nil
        }
        guard range.contains(value) else {
            func text(_ bound: Double) -> String {
                bound == bound.rounded() ? String(Int(bound)) : String(bound)
            }
            let suffix = unit.isEmpty ? "" : " \(unit)"
            self.fail(
                at: node,
                path,
                "\(node.scalar?.string ?? "") is outside \(text(range.lowerBound))...\(text(range.upperBound))\(suffix)"
            )
            return nil
        }
        return value
    }

    /// One network or a list of them, in CIDR notation.
    private mutating func networks(_ node: Node, _ path: String) -> [CIDRBlock]? {
        let items =
            node.sequence.map { Array($0.enumerated()).map { ($0.element, "\(path)[\($0.offset)]") } }
            ?? [(node, path)]
        var networks: [CIDRBlock] = []
        var valid = true
        for (item, itemPath) in items {
            guard let text = self.string(item, itemPath) else {
                valid = false
                continue
            }
            guard let network = CIDRBlock(text) else {
                self.fail(at: item, itemPath, "'\(text)' is not a network such as 10.0.0.0/8 or 2001:db8::/32")
                valid = false
                continue
            }
            networks.append(network)
        }
        return valid ? networks : nil
    }

    /// One address or a list of them.
    private mutating func addresses(_ node: Node, _ path: String) -> [BindAddress]? {
        let items: [(Node, String)]
        if let sequence = node.sequence {
            items = sequence.enumerated().map { ($0.element, "\(path)[\($0.offset)]") }
            if items.isEmpty {
                self.fail(at: node, path, "the list is empty: give at least one address")
                return nil
            }
        } else {
            items = [(node, path)]
        }
        var addresses: [BindAddress] = []
        var valid = true
        for (item, itemPath) in items {
            guard let text = self.string(item, itemPath) else {
                valid = false
                continue
            }
            guard let address = BindAddress(text) else {
                self.fail(
                    at: item,
                    itemPath,
                    "'\(text)' is not a numeric IPv4 or IPv6 address (host names are not resolved; \"::\" means all)"
                )
                valid = false
                continue
            }
            addresses.append(address)
        }
        return valid ? addresses : nil
    }

    // MARK: Errors

    private func location(of node: Node?) -> SourceLocation {
        guard let mark = node?.mark else { return SourceLocation(file: self.source, line: 1, column: 1) }
        return SourceLocation(file: self.source, line: mark.line, column: mark.column)
    }

    private mutating func fail(at node: Node?, _ path: String, _ message: String) {
        self.errors.append(ConfigurationError(location: self.location(of: node), keyPath: path, message: message))
    }

    private func unknownKeyMessage(_ name: String, known: [String], service: ConfigurationSchema.Service? = nil)
        -> String
    {
        let scope = service.map { " for service \($0.name)" } ?? ""
        return
            "unknown key '\(name)'\(scope)\(Self.suggestion(for: name, among: known)) (known: \(known.joined(separator: ", ")))"
    }

    private func syntaxError(_ error: Error, text: String) -> ConfigurationError {
        let (mark, message): ((line: Int, column: Int)?, String)
        switch error as? YamlError {
        case .scanner(let context, let problem, let problemMark, _),
            .parser(let context, let problem, let problemMark, _),
            .composer(let context, let problem, let problemMark, _):
            let detail = context.map { " \($0.text) at line \($0.mark.line), column \($0.mark.column)" } ?? ""
            (mark, message) = ((problemMark.line, problemMark.column), problem + detail)
        case .duplicatedKeysInMapping(let duplicates, let context):
            (mark, message) = (
                (context.mark.line, context.mark.column),
                "duplicate key \(duplicates.map { "'\($0)'" }.joined(separator: ", ")) in a mapping"
            )
        case .reader(let problem, let offset, _, _):
            (mark, message) = (offset.map { Self.mark(ofByteOffset: $0, in: text) }, problem)
        default:
            (mark, message) = (nil, String(describing: error))
        }
        let location =
            mark.map { SourceLocation(file: self.source, line: $0.line, column: $0.column) }
            ?? SourceLocation(file: self.source, line: 1, column: 1)
        return ConfigurationError(location: location, keyPath: "syntax", message: "invalid YAML: \(message)")
    }

    private static func mark(ofByteOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        let prefix = text.utf8.prefix(offset)
        let line = prefix.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        let column = prefix.reversed().prefix { $0 != UInt8(ascii: "\n") }.count + 1
        return (line, column)
    }

    private static func kind(of node: Node) -> String {
        switch node {
        case .mapping: return "a mapping"
        case .sequence: return "a list"
        case .alias: return "an alias"
        case .scalar(let scalar):
            if node.tagName == .null { return "nothing" }
            return scalar.style == .plain ? "'\(scalar.string)'" : "the string \"\(scalar.string)\""
        }
    }

    /// ` (did you mean 'port'?)` for a near miss, or nothing.
    static func suggestion(for word: String, among candidates: [String]) -> String {
        let scored = candidates.map { ($0, editDistance(word.lowercased(), $0)) }
        guard let best = scored.min(by: { $0.1 < $1.1 }), best.1 <= max(1, best.0.count / 3) else { return "" }
        return " (did you mean '\(best.0)'?)"
    }

    /// Optimal string alignment distance: insertions, deletions, substitutions and swaps of neighbours each cost
    /// one, so the common typo `prot` is one step from `port`.
    private static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a.unicodeScalars)
        let b = Array(b.unicodeScalars)
        guard !a.isEmpty, !b.isEmpty else { return max(a.count, b.count) }
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in 1...a.count {
            for j in 1...b.count {
                let cost = a[i - 1] == b[j - 1] ? 0 : 1
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + cost)
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] {
                    d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1)
                }
            }
        }
        return d[a.count][b.count]
    }
}

extension Node {
    /// The resolved tag's name (`Tag.name` itself is internal to Yams).
    fileprivate var tagName: Tag.Name { Tag.Name(rawValue: self.tag.rawValue) }
}
