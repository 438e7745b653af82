import WellKnownConfig

/// What the gate knows of a configuration entry: a stable key (its open connections are counted under it, across
/// reloads that keep the entry), its own connection limit, and its access policy.
struct EntryAdmission: Sendable, Hashable {
    var key: String
    var limit: Int?
    var access: AccessPolicy

    init(key: String, limit: Int? = nil, access: AccessPolicy = .everyone) {
        self.key = key
        self.limit = limit
        self.access = access
    }

    init(_ entry: ServiceEntry) {
        let place = entry.path ?? "\(entry.addresses.map(\.text).sorted().joined(separator: ","))|\(entry.port ?? 0)"
        self.init(key: "\(entry.service)|\(place)", limit: entry.maximumConnections, access: entry.access)
    }
}
