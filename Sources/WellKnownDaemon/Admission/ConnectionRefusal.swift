enum ConnectionRefusal: String, CaseIterable, Sendable {
    case accessDenied = "access-denied"
    case connections = "connections"
    case serviceConnections = "service-connections"
    case sourceConnections = "source-connections"
    case sourceRate = "source-rate"
    /// Admitted, then closed by a reload whose access lists no longer admit the source.
    case accessRevoked = "access-revoked"
}
