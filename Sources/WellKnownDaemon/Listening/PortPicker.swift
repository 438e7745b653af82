import NIOCore
import WellKnownConfig

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Ports for entries written `port: 0`: the kernel picks one, and the same one serves every address and transport
/// of the entry where it is free on all of them (tried a few times over, then an error). Picked before anything
/// is bound, so that the UDP guard knows the daemon's own ports and the log lines name the real ones; a socket of
/// a reloaded entry that is kept keeps its port, and a new address or transport of that entry joins it there.
enum PortPicker {
    static let attempts = 16

    /// The port an open `port: 0` listener of entry N has, and the service it serves.
    struct Kept: Sendable, Hashable {
        let service: String
        let port: Int
    }

    /// Entry index → port for every `port: 0` entry of `configuration`. `kept`: the ports open listeners of
    /// `port: 0` entries have, by entry index; an entry at that index that serves the same service keeps its port.
    static func pick(
        for configuration: Configuration,
        keeping kept: [Int: Kept] = [:]
    ) throws(BindError) -> [Int: Int] {
        var picked: [Int: Int] = [:]
        for entry in configuration.services where entry.port == 0 {
            if let old = kept[entry.index], old.service == entry.service {
                picked[entry.index] = old.port
                continue
            }
            picked[entry.index] = try Self.pick(for: entry, avoiding: Set(picked.values))
        }
        return picked
    }

    /// `avoiding`: ports picked for other entries, free until they are bound, so the kernel may offer them again.
    private static func pick(for entry: ServiceEntry, avoiding taken: Set<Int>) throws(BindError) -> Int {
        let places = entry.addresses.flatMap { address in entry.transports.map { (address, $0) } }
        guard let (firstAddress, firstTransport) = places.first else { return 0 }
        let first = Listener(
            service: entry.service,
            transport: firstTransport,
            address: .ip(firstAddress, port: 0),
            entryIndex: entry.index
        )
        var lastError: any Error = IOError(errnoCode: EADDRINUSE, reason: "bind")
        for _ in 0..<Self.attempts {
            do {
                let port = try ListenerFactory.probe(
                    try SocketAddress(ipAddress: firstAddress.text, port: 0),
                    transport: firstTransport,
                    v6only: ListenerFactory.v6only(for: firstAddress)
                )
                guard !taken.contains(port) else { continue }
                for (address, transport) in places.dropFirst() {
                    try ListenerFactory.probe(
                        try SocketAddress(ipAddress: address.text, port: port),
                        transport: transport,
                        v6only: ListenerFactory.v6only(for: address)
                    )
                }
                return port
            } catch {
                lastError = error
            }
        }
        throw BindError(listener: first, cause: lastError)
    }
}
