import NIOCore
import WellKnownConfig
import WellKnownLogging

extension AccessPolicy {
    /// Whether `source` may be served, TCP or UDP: an IP address as `permits(_:)` judges its bytes (IPv4-mapped IPv6
    /// as IPv4); an AF_UNIX peer always. A policy that admits everyone looks at nothing: this runs per datagram.
    func permits(_ source: SocketAddress) -> Bool {
        guard !self.admitsEveryone, let bytes = source.ipBytes else { return true }
        return self.permits(bytes)
    }
}
