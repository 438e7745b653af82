/// Why a datagram was dropped.
enum DatagramDropReason: String, CaseIterable, Sendable {
    case accessDenied = "access-denied"
    case sourcePortZero = "source-port-0"
    case deniedSourcePort = "denied-source-port"
    case ownPort = "own-port"
    case martianSource = "martian-source"
    case sourceRate = "source-rate"
    case totalRate = "total-rate"
    /// A whole reply (qotd, daytime, time, whoami) larger than the reply cap allows: not sent rather than cut.
    case replyCap = "reply-cap"
}
