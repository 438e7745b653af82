/// The metrics endpoint could not listen: said once, with the addresses and the cause.
struct MetricsEndpointError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
