import Foundation

/// `wellknownd import`: reads xinetd and inetd configurations and says, entry by entry, what becomes of them in
/// wellknownd's YAML. Built-in services become entries; what cannot be carried (external servers, RPC,
/// access_times, redirect, banners, …) becomes a note, which the output keeps as a comment and stderr shows as
/// `FILE:LINE: what and why`. Faults in the input (syntax, an unknown attribute, an unreadable file, an include
/// loop) stop the import with a positioned `ImportIssue`.
public struct ConfigurationImporter: Sendable {
    public let services: ServicesFile
    /// Import services marked `disable = yes` (xinetd) as well: Debian ships every xinetd built-in disabled.
    public let includeDisabled: Bool

    public init(services: ServicesFile, includeDisabled: Bool = false) {
        self.services = services
        self.includeDisabled = includeDisabled
    }

    /// The built-ins inetd and xinetd have that wellknownd serves too (FreeBSD's inetd calls ident `auth`).
    static let builtIns = [
        "echo": "echo", "discard": "discard", "chargen": "chargen", "daytime": "daytime",
        "time": "time", "auth": "ident", "ident": "ident", "tcpmux": "tcpmux",
    ]

    public struct Result: Sendable {
        public var entries: [ImportedEntry] = []
        public var notes: [ImportIssue] = []
        /// The smallest xinetd per_source, and cps rate, of the services imported: wellknownd's limits are per
        /// source over all services, the nearest to both.
        public var perSourceConnections: Int?
        public var perSourceAcceptRate: Double?
        public var sources: [String] = []
    }

    public func run(paths: [String]) throws(ImportIssue) -> Result {
        var reader = Reader(importer: self)
        for path in paths {
            try reader.read(path, from: nil)
        }
        try reader.convertXinetd()
        var result = reader.result
        result.entries = Self.merged(result.entries)
        return result
    }

    /// What to say when the files hold nothing wellknownd can serve (their notes say why, service by service).
    public func nothingToServe(in paths: [String]) -> ImportIssue {
        ImportIssue(
            nil,
            "nothing to serve: no enabled built-in service in \(paths.joined(separator: ", "))"
                + (self.includeDisabled ? "" : " (--include-disabled imports disabled ones too)")
        )
    }

    /// A file's text, with the cause of a failure in words.
    static func text(of path: String, at location: ImportLocation?) throws(ImportIssue) -> String {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw ImportIssue(location, "\(path): no such file")
        }
        guard !isDirectory.boolValue else { throw ImportIssue(location, "\(path): is a directory") }
        guard let data = FileManager.default.contents(atPath: path) else {
            throw ImportIssue(location, "\(path): cannot be read")
        }
        guard data.count <= 16 << 20 else { throw ImportIssue(location, "\(path): larger than 16 MiB") }
        guard let text = String(data: data, encoding: .utf8) else {
            throw ImportIssue(location, "\(path): not UTF-8 text")
        }
        return text
    }

    /// One entry per service, port, addresses and access: a TCP and a UDP listener of the same become one
    /// entry with `transport: both`.
    static func merged(_ entries: [ImportedEntry]) -> [ImportedEntry] {
        var merged: [ImportedEntry] = []
        var transports: [[ImportedEntry.Transport]] = []
        for entry in entries {
            var addresses = Array(Set(entry.addresses)).sorted()
            // wellknownd's "::" is dual-stack: it covers 0.0.0.0 too, and both would overlap.
            if addresses.contains("::") { addresses.removeAll { $0 == "0.0.0.0" } }
            var normal = entry
            normal.addresses = addresses
            if let index = merged.firstIndex(where: {
                $0.service == normal.service && $0.port == normal.port && $0.addresses == normal.addresses
                    && $0.allow == normal.allow && $0.deny == normal.deny
                    && $0.maximumConnections == normal.maximumConnections
            }) {
                if !transports[index].contains(normal.transport) { transports[index].append(normal.transport) }
            } else {
                merged.append(normal)
                transports.append([normal.transport])
            }
        }
        return zip(merged, transports).map { entry, transports in
            var entry = entry
            entry.bothTransports = transports.count > 1
            return entry
        }
    }
}
