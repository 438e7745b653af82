import WellKnownConfig
import WellKnownServices

/// A configuration whose every entry has been built into a service instance, ready to bind.
public struct PreparedConfiguration: Sendable {
    public let configuration: Configuration
    let instances: [Int: ServiceInstance]
    /// Who to serve as if started as root.
    let identity: ServingIdentity

    public var listeners: [Listener] { self.configuration.listeners }

    func instance(forEntry index: Int) -> ServiceInstance? {
        self.instances[index]
    }
}
