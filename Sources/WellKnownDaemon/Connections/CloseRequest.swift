/// Sent down a connection's pipeline (an outbound user event) to close it with a reason of its own: shutdown, a
/// stream bound, a reload that no longer admits the client. The `ConnectionRecorder` takes it, so that the log line
/// says why the connection ended, then closes.
struct CloseRequest: Sendable {
    let reason: ConnectionEnd
}
