import Foundation

/// xinetd.conf(5) as its text is laid out: `defaults { … }`, `service NAME { … }` blocks of `attribute = values`
/// (also `+=` and `-=`), `include FILE` and `includedir DIR`; `#` begins a comment. Only the syntax is checked here;
/// `ConfigurationImporter` gives the attributes their meaning.
enum XinetdParser {
    struct Attribute: Sendable {
        enum Operation: String, Sendable {
            case set = "="
            case add = "+="
            case remove = "-="
        }

        let name: String
        let operation: Operation
        let values: [String]
        let location: ImportLocation
    }

    struct Block: Sendable {
        /// nil for `defaults`.
        let service: String?
        let attributes: [Attribute]
        let location: ImportLocation
    }

    enum Item: Sendable {
        case block(Block)
        case include(String, ImportLocation)
        case includeDirectory(String, ImportLocation)
    }

    /// Whether a file reads as xinetd's syntax rather than inetd.conf's: its first word is one of xinetd's.
    static func looksLikeXinetd(_ text: String) -> Bool {
        for line in text.split(separator: "\n") {
            let words = Self.words(String(line))
            guard let first = words.first else { continue }
            return ["service", "defaults", "include", "includedir", "{"].contains(first)
        }
        return false
    }

    /// The words of a line without its comment.
    static func words(_ line: String) -> [String] {
        var words: [String] = []
        for word in line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" }) {
            if word.hasPrefix("#") { break }
            words.append(String(word))
        }
        return words
    }

    static func parse(_ text: String, file: String) throws(ImportIssue) -> [Item] {
        var items: [Item] = []
        var open: (service: String?, location: ImportLocation, braced: Bool)?
        var attributes: [Attribute] = []
        for (index, line) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let location = ImportLocation(file: file, line: index + 1)
            var words = Self.words(String(line))
            guard !words.isEmpty else { continue }
            if let block = open, !block.braced {
                guard words.first == "{" else {
                    throw ImportIssue(
                        location,
                        "expected { to open \(block.service.map { "service \($0)" } ?? "defaults")"
                    )
                }
                open?.braced = true
                words.removeFirst()
                if words.isEmpty { continue }
            }
            if let block = open {
                if words == ["}"] {
                    items.append(
                        .block(Block(service: block.service, attributes: attributes, location: block.location))
                    )
                    open = nil
                    attributes = []
                    continue
                }
                attributes.append(try Self.attribute(words, at: location))
                continue
            }
            switch words[0] {
            case "defaults", "service":
                let isService = words[0] == "service"
                guard words.count >= (isService ? 2 : 1) else {
                    throw ImportIssue(location, "service needs a name")
                }
                let rest = Array(words.dropFirst(isService ? 2 : 1))
                guard rest.isEmpty || rest == ["{"] else {
                    throw ImportIssue(location, "unexpected \(rest.joined(separator: " ")) after \(words[0])")
                }
                open = (isService ? words[1] : nil, location, !rest.isEmpty)
            case "include", "includedir":
                guard words.count == 2 else { throw ImportIssue(location, "\(words[0]) takes one path") }
                items.append(
                    words[0] == "include" ? .include(words[1], location) : .includeDirectory(words[1], location)
                )
            default:
                throw ImportIssue(location, "expected service, defaults, include or includedir, found '\(words[0])'")
            }
        }
        if let block = open {
            throw ImportIssue(
                block.location,
                "\(block.service.map { "service \($0)" } ?? "defaults") is not closed with }"
            )
        }
        return items
    }

    /// `name = values`, `name += values`, `name -= values`, with or without spaces around the operator.
    static func attribute(_ words: [String], at location: ImportLocation) throws(ImportIssue) -> Attribute {
        let line = words.joined(separator: " ")
        guard let equals = line.firstIndex(of: "=") else {
            throw ImportIssue(location, "expected attribute = value, found '\(line)'")
        }
        var name = line[..<equals].trimmingCharacters(in: .whitespaces)
        var operation = Attribute.Operation.set
        if name.hasSuffix("+") || name.hasSuffix("-") {
            operation = name.hasSuffix("+") ? .add : .remove
            name = name.dropLast().trimmingCharacters(in: .whitespaces)
        }
        guard !name.isEmpty, !name.contains(" ") else {
            throw ImportIssue(location, "expected attribute = value, found '\(line)'")
        }
        let values = line[line.index(after: equals)...].split(separator: " ").map(String.init)
        return Attribute(name: name, operation: operation, values: values, location: location)
    }
}
