import Logging
import NIOCore
import WellKnownLogging

/// The life of every TCP connection, in one place for both ways a connection is served: answered at accept
/// (`ReplyOnAccept`, one-shot services) or through a channel of its own (`ConnectionRecorder`, every other
/// service and AF_UNIX clients). Admitted at the gate or refused (counted, and filed with the summarised refusals),
/// counted open, recorded when it ends, and its place at the gate given back exactly once.
struct ConnectionLifecycle: Sendable {
    let service: String
    let admission: EntryAdmission
    let counters: ServiceCounters
    let gate: ConnectionGate
    let records: RecordLog

    var logger: Logger { self.records.logger }

    /// Takes a place at the gate for a connection from `client`, or counts the refusal and files it with the
    /// summarised ones (refused connections are not logged one by one). An admitted connection must be `ended`.
    func admit(client: SocketAddress?, server: SocketAddress?) -> AdmittedConnection? {
        if let refusal = self.gate.admit(self.admission, source: client) {
            self.counters.refused.add(1, ordering: .relaxed)
            self.counters.refusals?.count(refusal)
            self.gate.refusals.record(refusal) {
                "\(self.service) \(client?.logDescription ?? "?") -> \(server?.logDescription ?? "?")"
            }
            return nil
        }
        return AdmittedConnection(lifecycle: self, client: client)
    }
}

/// A connection that holds a place at the gate. `opened` counts it; `ended` logs its socket-pair record and gives the
/// place back.
struct AdmittedConnection: Sendable {
    let lifecycle: ConnectionLifecycle
    /// The address the gate admitted: its per-source count is released under the same key.
    let client: SocketAddress?

    func opened(server: SocketAddress?, clientDescription: @autoclosure () -> String) {
        let counters = self.lifecycle.counters
        counters.accepted.add(1, ordering: .relaxed)
        counters.open.add(1, ordering: .relaxed)
        self.lifecycle.logger.debug(
            "accepted",
            metadata: [
                "service": "\(self.lifecycle.service)", "proto": "tcp",
                "client": "\(clientDescription())", "server": "\(server?.logDescription ?? "?")",
            ]
        )
    }

    func received(_ bytes: Int) {
        self.lifecycle.counters.bytesIn.add(bytes, ordering: .relaxed)
    }

    func sent(_ bytes: Int) {
        self.lifecycle.counters.bytesOut.add(bytes, ordering: .relaxed)
    }

    /// `wasOpened`: whether `opened` was called (a channel that failed before it became active was not, and is
    /// neither counted as ended nor timed). `end` and `duration` are the record's: the record itself is built only
    /// if its line is logged. `batch`: the caller's thread's own batch of lines, which it flushes, instead of the
    /// sink's queue.
    func ended(
        wasOpened: Bool,
        end: ConnectionEnd,
        duration: TimeAmount,
        batch: RecordBatch? = nil,
        record: @autoclosure () -> ConnectionRecord
    ) {
        let counters = self.lifecycle.counters
        if wasOpened {
            counters.open.add(-1, ordering: .relaxed)
            counters.ends?.count(end)
            counters.durations?.recordNanoseconds(duration.nanoseconds)
        }
        self.lifecycle.gate.release(self.lifecycle.admission, source: self.client)
        if let batch {
            batch.info("connection", record())
        } else {
            self.lifecycle.records.info("connection", record())
        }
    }
}

extension Route {
    /// The lifecycle of this route's connections, admitted at `gate` and logged through `records`.
    func lifecycle(gate: ConnectionGate, records: RecordLog) -> ConnectionLifecycle {
        ConnectionLifecycle(
            service: self.service,
            admission: self.admission,
            counters: self.counters,
            gate: gate,
            records: records
        )
    }
}
