import Yams

/// Reads one document into a `Configuration`, collecting every problem with its position instead of stopping at
/// the first. The sections' keys are in their own files (`*+ConfigReader.swift`); the scalars in
/// `ConfigurationReader+Scalars.swift`.
struct ConfigurationReader {
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
        guard root.mapping != nil else {
            self.fail(at: root, "", "expected a mapping with a `services:` list at the top level")
            return nil
        }
        var draft = Configuration.Draft()
        self.readSection(
            root,
            path: "",
            keys: Configuration.configurationKeys,
            into: &draft,
            example: "services: [{service: echo, port: 6007}]"
        )
        guard let servicesNode = draft.services else {
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
        let access = AccessPolicy.everyone.narrowed(allow: draft.allow, deny: draft.deny)
        var entries: [ServiceEntry] = []
        for (index, node) in list.enumerated() {
            if let entry = self.entry(node, index: index, defaultAddresses: draft.defaultAddresses, access: access) {
                entries.append(entry)
            }
        }
        let configuration = Configuration(
            source: self.source,
            services: entries,
            gracePeriod: draft.gracePeriod,
            udpGuard: draft.udpGuard,
            limits: draft.limits,
            runAs: draft.runAs,
            metrics: draft.metrics
        )
        self.checkOverlaps(configuration, entryNodes: Array(list))
        self.checkMetricsOverlap(configuration, metricsNode: draft.metricsNode)
        return configuration
    }

    /// The metrics endpoint is a TCP socket like the entries' own: it may not share a TCP port and address with
    /// one of them.
    mutating func checkMetricsOverlap(_ configuration: Configuration, metricsNode: Node?) {
        guard let metrics = configuration.metrics else { return }
        for address in metrics.listenAddresses {
            guard
                let entry = configuration.listeners.first(where: {
                    $0.transport == .tcp && $0.address.collides(with: address, sameTransport: true)
                })
            else { continue }
            let portNode = metricsNode?.mapping?.first { $0.key.string == "port" }?.value ?? metricsNode
            self.fail(
                at: portNode,
                "metrics.port",
                "tcp \(address) overlaps \(entry.description), services[\(entry.entryIndex)]"
            )
            return
        }
    }

    /// Two listeners on one transport and port whose addresses collide would fail at bind time; say so now.
    mutating func checkOverlaps(_ configuration: Configuration, entryNodes: [Node]) {
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

    func location(of node: Node?) -> SourceLocation {
        guard let mark = node?.mark else { return SourceLocation(file: self.source, line: 1, column: 1) }
        return SourceLocation(file: self.source, line: mark.line, column: mark.column)
    }

    mutating func fail(at node: Node?, _ path: String, _ message: String) {
        self.errors.append(ConfigurationError(location: self.location(of: node), keyPath: path, message: message))
    }

    func unknownKeyMessage(_ name: String, known: [String], service: ConfigurationSchema.Service? = nil)
        -> String
    {
        let scope = service.map { " for service \($0.name)" } ?? ""
        return
            "unknown key '\(name)'\(scope)\(Self.suggestion(for: name, among: known)) (known: \(known.joined(separator: ", ")))"
    }

    func syntaxError(_ error: Error, text: String) -> ConfigurationError {
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

    static func mark(ofByteOffset offset: Int, in text: String) -> (line: Int, column: Int) {
        let prefix = text.utf8.prefix(offset)
        let line = prefix.reduce(1) { $1 == UInt8(ascii: "\n") ? $0 + 1 : $0 }
        let column = prefix.reversed().prefix { $0 != UInt8(ascii: "\n") }.count + 1
        return (line, column)
    }

    static func kind(of node: Node) -> String {
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
    static func editDistance(_ a: String, _ b: String) -> Int {
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
    var tagName: Tag.Name { Tag.Name(rawValue: self.tag.rawValue) }
}
