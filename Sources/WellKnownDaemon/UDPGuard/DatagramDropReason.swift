/// Why a datagram was dropped.
enum DatagramDropReason: String, CaseIterable, Sendable {
    case accessDenied = "access-denied"
    case sourcePortZero = "source-port-0"
    case deniedSourcePort = "denied-source-port"
    case ownPort = "own-port"
    case martianSource = "martian-source"
    case sourceRate = "source-rate"
    case totalRate = "total-rate"
}
