/// Why a TCP connection ended, as its log line says.
enum ConnectionEnd: String, CaseIterable, Sendable {
    /// The client finished sending (EOF) or closed, and the service closed after it.
    case client
    /// The service closed it: daytime and time after their reply.
    case server
    /// The connection died under us: the client reset it, or vanished while we were writing (ECONNRESET, EPIPE;
    /// NIO closes on a failed write without reporting an error to the pipeline, so this is also the verdict for a
    /// close that no handler asked for and no EOF preceded).
    case reset
    /// The daemon closed it because it is shutting down and the grace period ran out.
    case shutdown
    /// No byte either way for the idle timeout.
    case timeout
    /// Open for the maximum lifetime.
    case lifetime
    /// The maximum bytes in or out were reached.
    case limit
    /// A reload's access lists no longer admit the client.
    case revoked
    /// Any other error on the connection.
    case error
}
