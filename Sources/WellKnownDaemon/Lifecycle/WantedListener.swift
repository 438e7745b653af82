import WellKnownConfig

/// A socket a configuration wants, what it is to serve, and how to open it if it is not open yet.
struct WantedListener: Sendable {
    enum Source: Sendable {
        case bind(Listener)
        case adopt(InheritedSocket)
    }

    let key: ListenerKey
    let source: Source
    let route: Route
}
