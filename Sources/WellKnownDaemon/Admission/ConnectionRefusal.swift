enum ConnectionRefusal: String, CaseIterable, Sendable {
    case accessDenied = "access-denied"
    case connections = "connections"
    case serviceConnections = "service-connections"
    case sourceConnections = "source-connections"
    case sourceRate = "source-rate"
}
