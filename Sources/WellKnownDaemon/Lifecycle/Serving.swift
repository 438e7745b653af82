/// What the daemon serves now: replaced as a whole by a successful reload.
struct Serving: Sendable {
    var prepared: PreparedConfiguration
    var plan: ActivationPlan
    var listeners: [RunningListener]
    var datagramGuard: DatagramGuardState
    /// The metrics endpoint, if the configuration has one.
    var metrics: MetricsEndpoint?
}
