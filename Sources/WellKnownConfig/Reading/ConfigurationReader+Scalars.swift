import Yams

extension ConfigurationReader {
    /// sun_path holds 108 bytes with the terminating NUL.
    static let maximumPathLength = 107

    mutating func count(_ node: Node, _ path: String, range: ClosedRange<Int>) -> Int? {
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

    mutating func string(_ node: Node, _ path: String) -> String? {
        guard let scalar = node.scalar, node.tagName != .null else {
            self.fail(at: node, path, "expected a single value, found \(Self.kind(of: node))")
            return nil
        }
        return scalar.string
    }

    /// `allowZero`: an entry's `port: 0`, a port the kernel picks when the daemon starts.
    mutating func port(_ node: Node, _ path: String, allowZero: Bool = false) -> Int? {
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

    mutating func socketPath(_ node: Node, _ path: String) -> String? {
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
    mutating func number(
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
    mutating func networks(_ node: Node, _ path: String) -> [CIDRBlock]? {
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
    mutating func addresses(_ node: Node, _ path: String) -> [BindAddress]? {
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

}

extension ConfigurationReader {
    /// Seconds in `range` as a duration (`grace-period: 2.5`).
    mutating func duration(_ node: Node, _ path: String, range: ClosedRange<Double>) -> Duration? {
        self.number(node, path, range: range).map { .milliseconds(Int64(($0 * 1000).rounded())) }
    }

    /// A user or group name: no colon, slash or white space.
    mutating func accountName(_ node: Node, _ path: String) -> OptionValue? {
        guard let name = self.string(node, path) else { return nil }
        guard !name.isEmpty, !name.contains(where: { $0 == ":" || $0 == "/" || $0.isWhitespace }) else {
            self.fail(at: node, path, "'\(name)' is not a \(path) name")
            return nil
        }
        return OptionValue(name, location: self.location(of: node))
    }
}
