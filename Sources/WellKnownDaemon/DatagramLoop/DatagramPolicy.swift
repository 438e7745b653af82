import Logging
import NIOCore
import WellKnownConfig
import WellKnownLogging

/// What every UDP socket does around its service, whichever path serves it: `DatagramLoop` (IP sockets, batched
/// system calls) or `DatagramGate` in a NIO pipeline (AF_UNIX). One place, so that the two cannot drift apart.
///
/// Per datagram, in order:
/// 1. `admit`: the guard (when the socket has one: AF_UNIX has none), the entry's access list and then
///    `DatagramGuardState`'s rules. A refused datagram is counted as a drop with its reason and goes no further: no
///    record, no reply. An admitted one is counted in.
/// 2. `allow`: the reply cap. A reply longer than the guard allows for the request is cut to that size (only
///    chargen's random-length replies ever are, with the defaults), or, for a service whose replies are whole
///    messages (`ServiceInstance.wholeDatagramReplies`: a quote, a date, a socket pair), not sent at all and counted
///    as dropped (`reply-cap`): half a quote is no answer.
/// 3. `record`: one line per datagram that passed the guard, answered or not. The local side is the datagram's real
///    destination: on a wildcard socket from IP_PKTINFO / IPV6_RECVPKTINFO (not the bound address there), elsewhere
///    the bound address.
struct DatagramPolicy: Sendable {
    let counters: ServiceCounters
    let records: RecordLog
    let guardState: DatagramGuardState?
    let access: AccessPolicy
    let wholeReplies: Bool

    init(
        counters: ServiceCounters,
        logger: Logger,
        guard guardState: DatagramGuardState? = nil,
        access: AccessPolicy = .everyone,
        wholeReplies: Bool = false
    ) {
        self.counters = counters
        self.records = RecordLog(logger)
        self.guardState = guardState
        self.access = access
        self.wholeReplies = wholeReplies
    }

    init(_ route: Route, logger: Logger) {
        self.init(
            counters: route.counters,
            logger: logger,
            guard: route.datagramGuard,
            access: route.admission.access,
            wholeReplies: route.instance.wholeDatagramReplies
        )
    }

    /// The guard's clock now, for `admit(from:size:at:)`; nil without a guard.
    func guardTime() -> NIODeadline? { self.guardState?.time() }

    /// The largest reply the datagram may have, once counted in; nil if it is refused (counted as a drop). `time`:
    /// the guard's clock as read for the datagram's burst (`guardTime()`); nil to read it now.
    func admit(from source: SocketAddress, size: Int, at time: NIODeadline? = nil) -> Int? {
        var limit = Int.max
        if let guardState = self.guardState {
            if let reason = self.access.permits(source) ? guardState.admit(from: source, at: time) : .accessDenied {
                self.drop(reason, from: source, guardState)
                return nil
            }
            limit = guardState.replyLimit(requestSize: size)
        }
        self.counters.accepted.add(1, ordering: .relaxed)
        self.counters.bytesIn.add(size, ordering: .relaxed)
        return limit
    }

    /// How many bytes of a reply of `count` bytes go out under `limit` (counted as a reply), or nil for none (the
    /// whole reply dropped, counted as a `reply-cap` drop).
    func allow(replyOf count: Int, limit: Int, to client: SocketAddress) -> Int? {
        guard count > limit, let guardState = self.guardState else {
            self.countReply(count)
            return count
        }
        if self.wholeReplies {
            self.drop(.replyCap, from: client, guardState)
            return nil
        }
        self.countReply(limit)
        return limit
    }

    /// The datagram's socket-pair line; `bytesOut` nil when no reply went out. `batch`: where a `DatagramLoop`
    /// gathers the lines of one burst (with wellknownd's own handler it writes them from its socket's `DatagramLine`
    /// instead); without a batch the line is queued on its own.
    func record(
        client: SocketAddress,
        destination: SocketAddress?,
        localPort: Int,
        boundServer: String,
        bytesIn: Int,
        bytesOut: Int?,
        into batch: RecordBatch? = nil
    ) {
        // Built only if the line is logged: the loggers take it as an autoclosure.
        func record() -> DatagramRecord {
            DatagramRecord(
                service: self.counters.service,
                client: client,
                destination: destination,
                localPort: localPort,
                boundServer: boundServer,
                bytesIn: bytesIn,
                bytesOut: bytesOut
            )
        }
        if let batch {
            batch.info(DatagramRecord.message, record())
        } else {
            self.records.info(DatagramRecord.message, record())
        }
    }

    /// A datagram or its reply not sent: the guard's summary, the socket's counters and the metrics' reason.
    private func drop(_ reason: DatagramDropReason, from source: SocketAddress, _ guardState: DatagramGuardState) {
        guardState.recordDrop(reason, source: source)
        self.counters.dropped.add(1, ordering: .relaxed)
        self.counters.drops?.count(reason)
    }

    private func countReply(_ count: Int) {
        self.counters.replies.add(1, ordering: .relaxed)
        self.counters.bytesOut.add(count, ordering: .relaxed)
    }
}
