/// The YAML `wellknownd import` writes: a header, every note as a comment where a person reads it first, the
/// nearest limits, and the entries. Written by hand because the comments are the point and Yams writes none.
public enum ImportedConfiguration {
    public static func yaml(_ result: ConfigurationImporter.Result) -> String {
        var out = "# wellknownd configuration imported by `wellknownd import` from:\n"
        for source in result.sources {
            out += "#   \(source)\n"
        }
        out += "# Check it with `wellknownd check -c FILE`; see wellknownd.yaml(5).\n"
        out += "# Entries listen where the old ones did: every interface (0.0.0.0, or \"::\" for both IPv4 and IPv6)\n"
        out += "# unless they were bound to an address. wellknownd's own default would be loopback only.\n"
        if !result.notes.isEmpty {
            out += "#\n# Not carried over:\n"
            for note in result.notes {
                out += "#   \(note.description.replacingNewlines)\n"
            }
        }
        out += "\n"
        if result.perSourceConnections != nil || result.perSourceAcceptRate != nil {
            out += "limits:\n"
            if let connections = result.perSourceConnections {
                out +=
                    "  per-source-connections: \(connections)   # xinetd per_source (the smallest; wellknownd's is for all services)\n"
            }
            if let rate = result.perSourceAcceptRate {
                let text = rate == rate.rounded() ? String(Int(rate)) : String(rate)
                out +=
                    "  per-source-accept-rate: \(text)   # xinetd cps limited each service's total; this is per source\n"
            }
            out += "\n"
        }
        out += "services:\n"
        for entry in result.entries {
            out += "  # \(entry.location)\n"
            out += "  - service: \(entry.service)\n"
            out += "    port: \(entry.port)\n"
            out += "    transport: \(entry.bothTransports ? "both" : entry.transport.rawValue)\n"
            out += "    bind: [\(entry.addresses.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
            if !entry.allow.isEmpty {
                out += "    allow: [\(entry.allow.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
            }
            if !entry.deny.isEmpty {
                out += "    deny: [\(entry.deny.map { "\"\($0)\"" }.joined(separator: ", "))]\n"
            }
            if let maximum = entry.maximumConnections {
                out += "    max-connections: \(maximum)   # xinetd instances\n"
            }
        }
        return out
    }
}

extension String {
    var replacingNewlines: String {
        String(self.map { $0 == "\n" || $0 == "\r" ? " " : $0 })
    }
}
