import WellKnownConfig
import WellKnownLogging

/// Which inherited sockets serve which configuration entries, and which listeners the daemon still binds itself.
///
/// The rule, in order:
/// 1. A socket named after a service (`FileDescriptorName=daytime`) goes to that service: to its entry that
///    serves the socket's transport, the one on the socket's port if there are several.
/// 2. Any other socket goes to the entry serving its transport on its port; where several entries share both
///    (on different addresses), to the one bound to the socket's address.
/// 3. An AF_UNIX socket has no port: it must be named after its service.
/// 4. An entry's transport that received at least one socket is served by those sockets only; every other
///    listener of the configuration is bound by the daemon itself.
/// 5. A TCP listener named `metrics` is the metrics endpoint, if the configuration has a `metrics:` section.
/// A socket that maps to nothing, or cannot be served (a connected socket from `Accept=yes`, a FIFO, …), is an
/// error that names it: nothing is served from a half-understood set of sockets.
struct ActivationPlan: Sendable {
    struct Adoption: Sendable, Hashable {
        let socket: InheritedSocket
        let entryIndex: Int
        let service: String
        let transport: Transport
    }

    let adopted: [Adoption]
    let toBind: [Listener]
    /// The socket named `metrics`, which serves the metrics endpoint instead of binding its own.
    let metrics: InheritedSocket?

    static let metricsSocketName = "metrics"

    init(sockets: [InheritedSocket], configuration: Configuration) throws(ActivationError) {
        var adopted: [Adoption] = []
        var problems: [String] = []
        var metrics: InheritedSocket?
        for socket in sockets {
            if socket.name == Self.metricsSocketName {
                if configuration.metrics == nil {
                    problems.append("\(socket) is named metrics, but the configuration has no `metrics:` section")
                } else if socket.kind != .tcpListener && socket.kind != .unixStreamListener {
                    problems.append("\(socket) is named metrics, but the metrics endpoint takes a stream listener")
                } else if metrics != nil {
                    problems.append("\(socket) is a second socket named metrics: the endpoint takes one")
                } else {
                    metrics = socket
                }
                continue
            }
            guard let transport = socket.kind.transport else {
                problems.append("\(socket) cannot be served: wellknownd takes listening sockets only")
                continue
            }
            switch Self.entry(for: socket, transport: transport, in: configuration) {
            case .success(let entry):
                adopted.append(
                    Adoption(socket: socket, entryIndex: entry.index, service: entry.service, transport: transport)
                )
            case .failure(let reason):
                problems.append("\(socket) \(reason)")
            }
        }
        guard problems.isEmpty else {
            throw ActivationError(problems.joined(separator: "\n"))
        }
        let covered = Set(adopted.map { "\($0.entryIndex)/\($0.transport.rawValue)" })
        self.adopted = adopted
        self.metrics = metrics
        self.toBind = configuration.listeners.filter { !covered.contains("\($0.entryIndex)/\($0.transport.rawValue)") }
    }

    private static func entry(
        for socket: InheritedSocket,
        transport: Transport,
        in configuration: Configuration
    ) -> Result<ServiceEntry, ActivationError> {
        let serving = configuration.services.filter { $0.transports.contains(transport) }
        if configuration.services.contains(where: { $0.service == socket.name }) {
            let named = serving.filter { $0.service == socket.name }
            guard let entry = named.first(where: { $0.port == socket.port }) ?? named.first else {
                return .failure(
                    ActivationError(
                        "is named after \(socket.name), which the configuration does not serve over \(transport.rawValue)"
                    )
                )
            }
            return .success(entry)
        }
        guard let port = socket.port, socket.kind == .tcpListener || socket.kind == .udp else {
            return .failure(
                ActivationError(
                    "maps to no service: an AF_UNIX socket must be named after its service (FileDescriptorName=)"
                )
            )
        }
        let onPort = serving.filter { $0.port == port }
        if onPort.count > 1, let address = socket.localAddress?.logHost {
            if let exact = onPort.first(where: { entry in entry.addresses.contains { $0.text == address } }) {
                return .success(exact)
            }
            return .failure(
                ActivationError(
                    "matches several entries on \(transport.rawValue) port \(port); name it after its service (FileDescriptorName=)"
                )
            )
        }
        guard let entry = onPort.first else {
            return .failure(
                ActivationError(
                    "maps to no service: no entry serves \(transport.rawValue) port \(port), and \"\(socket.name)\" is not a configured service name"
                )
            )
        }
        return .success(entry)
    }
}
