import NIOCore
import WellKnownLogging

#if canImport(Glibc)
import Glibc
#endif

/// One connection to a service that only sends one reply on connect and closes (daytime, time:
/// `ServiceInstance.replyOnConnect`), through its whole `ConnectionLifecycle`: admitted or refused, answered with one
/// send(2) on the accepted socket, closed, logged and released. The same for both places such a connection is
/// accepted: the daemon's own `AcceptLoop` (IP listeners), and `ReplyOnAccept` in a NIO listener's pipeline.
struct OneShotAnswer: Sendable {
    let lifecycle: ConnectionLifecycle
    let makeReply: @Sendable (ByteBufferAllocator) -> ByteBuffer?

    /// How an answer ended, for the counters and the record.
    struct Outcome {
        var end: ConnectionEnd
        var bytesOut: Int
        var error: String?
    }

    /// Admits, answers, closes, logs and releases one connection: `send` writes the reply on its socket, `close`
    /// closes it (also when it is refused). `batch`: where the record's line goes, if the caller's thread keeps
    /// one (`AcceptLoop`); otherwise through the lifecycle's `RecordLog`.
    func serve(
        client: SocketAddress,
        server: SocketAddress?,
        allocator: ByteBufferAllocator,
        batch: RecordBatch? = nil,
        send: (ByteBuffer) -> Outcome,
        close: () -> Void
    ) {
        let started = NIODeadline.now()
        guard let admitted = self.lifecycle.admit(client: client, server: server) else {
            close()
            return
        }
        admitted.opened(server: server, clientDescription: client.logDescription)
        var outcome = Outcome(end: .server, bytesOut: 0, error: nil)
        if let reply = self.makeReply(allocator) {
            outcome = send(reply)
        }
        close()
        admitted.sent(outcome.bytesOut)
        let duration = NIODeadline.now() - started
        admitted.ended(
            wasOpened: true,
            end: outcome.end,
            duration: duration,
            batch: batch,
            record: ConnectionRecord(
                service: self.lifecycle.service,
                client: client,
                server: server,
                duration: duration,
                bytesIn: 0,
                bytesOut: outcome.bytesOut,
                end: outcome.end,
                peerCredentials: nil,
                error: outcome.error
            )
        )
    }

    /// One send(2) of the whole reply on `fd`. A fresh socket's send buffer is empty and holds kilobytes, so a reply
    /// of a few dozen bytes never meets a short write (MSG_DONTWAIT: nor can it ever wait); if it did, the
    /// connection would end with `end=error`.
    static func send(_ reply: ByteBuffer, on fd: Int32) -> Outcome {
        let sent = reply.withUnsafeReadableBytes { bytes in
            // MSG_NOSIGNAL: a client that is already gone is an EPIPE here, not a SIGPIPE.
            Glibc.send(fd, bytes.baseAddress, bytes.count, Int32(MSG_NOSIGNAL) | Int32(MSG_DONTWAIT))
        }
        if sent < 0 {
            let code = errno
            if code == EPIPE || code == ECONNRESET {
                return Outcome(end: .reset, bytesOut: 0, error: nil)
            }
            return Outcome(end: .error, bytesOut: 0, error: "send: \(String(cString: strerror(code))) (errno \(code))")
        }
        guard sent == reply.readableBytes else {
            return Outcome(end: .error, bytesOut: sent, error: "send: \(sent) of \(reply.readableBytes) bytes taken")
        }
        return Outcome(end: .server, bytesOut: sent, error: nil)
    }
}
