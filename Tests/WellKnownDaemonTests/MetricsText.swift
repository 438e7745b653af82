/// The series of a text exposition, by their name and labels exactly as written (`name{a="1",b="2"}`), with
/// their values; and the HELP and TYPE lines by family.
struct MetricsText {
    var values: [String: Double] = [:]
    var help: [String: String] = [:]
    var types: [String: String] = [:]

    init(_ text: String) {
        for line in text.split(separator: "\n") {
            if line.hasPrefix("# HELP ") {
                let rest = line.dropFirst(7)
                let name = rest.prefix { $0 != " " }
                self.help[String(name)] = String(rest.dropFirst(name.count + 1))
            } else if line.hasPrefix("# TYPE ") {
                let parts = line.dropFirst(7).split(separator: " ")
                if parts.count == 2 { self.types[String(parts[0])] = String(parts[1]) }
            } else if let space = line.lastIndex(of: " ") {
                self.values[String(line[..<space])] = Double(line[line.index(after: space)...])
            }
        }
    }

    init(_ bytes: [UInt8]) {
        self.init(String(decoding: bytes, as: UTF8.self))
    }

    subscript(_ series: String) -> Double? { self.values[series] }
}
