/// /etc/services: port numbers by service name (and alias) and protocol, as inetd and xinetd look them up.
public struct ServicesFile: Sendable {
    private var ports: [String: Int] = [:]

    public init(text: String) {
        for rawLine in text.split(separator: "\n") {
            let line = rawLine.split(separator: "#", maxSplits: 1, omittingEmptySubsequences: false).first ?? ""
            let fields = line.split(whereSeparator: { $0 == " " || $0 == "\t" })
            guard fields.count >= 2 else { continue }
            let portAndProto = fields[1].split(separator: "/")
            guard portAndProto.count == 2, let port = Int(portAndProto[0]) else { continue }
            for name in [fields[0]] + fields.dropFirst(2) {
                let key = "\(name)/\(portAndProto[1])"
                if self.ports[key] == nil { self.ports[key] = port }
            }
        }
    }

    public func port(of service: String, protocol proto: String) -> Int? {
        if let number = Int(service), (1...65535).contains(number) { return number }
        return self.ports["\(service)/\(proto)"]
    }
}
