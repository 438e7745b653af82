extension Configuration {
    /// Every socket to open, in file order: per entry, per transport, per address.
    public var listeners: [Listener] {
        self.services.flatMap { entry in
            entry.transports.flatMap { transport in
                let addresses: [ListenAddress] =
                    if let path = entry.path {
                        [.unix(path: path)]
                    } else if let port = entry.port {
                        entry.addresses.map { .ip($0, port: port) }
                    } else {
                        []
                    }
                return addresses.map {
                    Listener(service: entry.service, transport: transport, address: $0, entryIndex: entry.index)
                }
            }
        }
    }
}
