import Foundation
import WellKnownConfig

extension ConfigurationImporter.Reader {
    /// inetd.conf, as OpenBSD's, FreeBSD's and inetutils' inetd read it: `service socket-type protocol wait user
    /// server [arguments]` per line, `[addr]:service` or `addr:service` to bind one address, a line `addr:` alone to
    /// set the address of the lines after it (`*:` for every interface again); `#` begins a comment.
    mutating func readInetd(_ text: String, file: String) throws(ImportIssue) {
        var defaultHost: String?
        for (index, rawLine) in text.split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            let location = ImportLocation(file: file, line: index + 1)
            let fields = XinetdParser.words(String(rawLine))
            guard !fields.isEmpty else { continue }
            if fields.count == 1 && fields[0].hasSuffix(":") {
                let host = String(fields[0].dropLast())
                defaultHost = host == "*" ? nil : host
                continue
            }
            guard fields.count >= 6 else {
                throw ImportIssue(
                    location,
                    "expected: service socket-type protocol wait user server [arguments], found \(fields.count) field\(fields.count == 1 ? "" : "s")"
                )
            }
            var name = fields[0]
            var host = defaultHost
            if let colon = name.lastIndex(of: ":") {
                host = String(name[..<colon]).trimmingCharacters(in: CharacterSet(charactersIn: "[]"))
                if host == "*" { host = nil }
                name = String(name[name.index(after: colon)...])
            }
            let (socketType, proto, wait, server) = (fields[1], fields[2].lowercased(), fields[3], fields[5])
            if proto.hasPrefix("rpc/") || name.contains("/") {
                self.note(location, "\(name): RPC services are not carried")
                continue
            }
            let transport: ImportedEntry.Transport
            switch (socketType, proto.hasPrefix("tcp") ? "tcp" : proto.hasPrefix("udp") ? "udp" : proto) {
            case ("stream", "tcp"): transport = .tcp
            case ("dgram", "udp"): transport = .udp
            case (_, "tcp"), (_, "udp"):
                throw ImportIssue(location, "socket type \(socketType) does not go with protocol \(proto)")
            default:
                throw ImportIssue(location, "unknown protocol \(proto) (tcp, udp, tcp6, udp6, tcp46, udp46, rpc/…)")
            }
            guard server == "internal" else {
                self.note(
                    location,
                    "\(name)/\(transport.rawValue) (\(server)): not a built-in service: use a systemd .socket with Accept=yes"
                )
                continue
            }
            guard let service = ConfigurationImporter.builtIns[name] else {
                self.note(
                    location,
                    "\(name)/\(transport.rawValue): inetd's internal \(name) is not a wellknownd built-in"
                )
                continue
            }
            if service == "tcpmux" || service == "ident", transport == .udp {
                self.note(location, "\(name)/udp: wellknownd serves \(service) over TCP only")
                continue
            }
            guard let port = self.importer.services.port(of: name, protocol: transport.rawValue) else {
                throw ImportIssue(location, "\(name)/\(transport.rawValue): no port for it in the services file")
            }
            var address = proto.hasSuffix("6") || proto.hasSuffix("46") ? "::" : "0.0.0.0"
            if let host {
                guard ConfigurationImporter.isNumericAddress(host) else {
                    self.note(
                        location,
                        "\(name)/\(transport.rawValue): host \(host) is not a numeric address (names are not resolved): not imported"
                    )
                    continue
                }
                address = host
            }
            if wait.contains(".") || wait.contains("/") {
                self.note(
                    location,
                    "\(name)/\(transport.rawValue): the rate and child limits of '\(wait)' are not carried (see limits: in wellknownd.yaml(5))"
                )
            }
            self.result.entries.append(
                ImportedEntry(
                    service: service,
                    transport: transport,
                    port: port,
                    addresses: [address],
                    location: location
                )
            )
        }
    }
}

extension ConfigurationImporter {
    /// An address `bind:` takes: the loader's own parser decides, so that what is imported is what it accepts.
    static func isNumericAddress(_ text: String) -> Bool {
        BindAddress(text) != nil
    }

    /// A network `allow:` and `deny:` take, by the loader's own parser.
    static func isNumericNetwork(_ text: String) -> Bool {
        CIDRBlock(text) != nil
    }
}
