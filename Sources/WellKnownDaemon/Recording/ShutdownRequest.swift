/// Sent down a connection's pipeline to close it on shutdown, so that its log line says why.
struct ShutdownRequest: Sendable {}
