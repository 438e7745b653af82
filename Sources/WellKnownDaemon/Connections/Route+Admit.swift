import NIOCore
import WellKnownLogging

extension Route {
    /// Takes a place at the gate for a connection from `client`, or counts the refusal and files it with the
    /// summarised ones (refused connections are not logged one by one). A connection admitted must be released.
    func admit(client: SocketAddress?, server: SocketAddress?, gate: ConnectionGate) -> Bool {
        guard let refusal = gate.admit(self.admission, source: client) else { return true }
        self.counters.refused.add(1, ordering: .relaxed)
        gate.refusals.record(refusal) {
            "\(self.service) \(client?.logDescription ?? "?") -> \(server?.logDescription ?? "?")"
        }
        return false
    }
}
