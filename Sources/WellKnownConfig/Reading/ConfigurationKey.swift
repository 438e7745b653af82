import Yams

/// One key of a section of the file: its name, what it means, and how its value is read into the section's value.
/// A section's keys are one list of these.
struct ConfigurationKey<Value>: Sendable {
    let name: String
    let summary: String
    let read: @Sendable (inout ConfigurationReader, Node, _ path: String, inout Value) -> Void

    init(
        _ name: String,
        _ summary: String,
        read: @escaping @Sendable (inout ConfigurationReader, Node, _ path: String, inout Value) -> Void
    ) {
        self.name = name
        self.summary = summary
        self.read = read
    }
}

extension ConfigurationReader {
    /// Reads every pair of the mapping `node` through `keys` into `value`. A key not in the list is an error that
    /// names the known ones and suggests the nearest; `example` shows what the section looks like.
    mutating func readSection<Value>(
        _ node: Node,
        path: String,
        keys: [ConfigurationKey<Value>],
        into value: inout Value,
        example: String
    ) {
        guard let mapping = node.mapping else {
            self.fail(at: node, path, "expected a mapping of settings such as `\(example)`")
            return
        }
        for (key, valueNode) in mapping {
            let name = key.string ?? ""
            let keyPath = path.isEmpty ? name : "\(path).\(name)"
            guard let known = keys.first(where: { $0.name == name }) else {
                self.fail(at: key, keyPath, self.unknownKeyMessage(name, known: keys.map(\.name)))
                continue
            }
            known.read(&self, valueNode, keyPath, &value)
        }
    }
}
