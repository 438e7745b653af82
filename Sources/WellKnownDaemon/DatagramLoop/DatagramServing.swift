import Logging
import NIOCore
import WellKnownCalendar
import WellKnownLogging
import WellKnownServices

#if canImport(Glibc)
import Glibc
#endif

/// One socket's service as its `DatagramLoop` runs it: the route's policy and a responder of its own, made again
/// when a reload gives the socket a new route (`generation`).
struct DatagramServing {
    let generation: Int
    private let policy: DatagramPolicy
    private let lines: RecordBatch
    /// The line's constant pieces, formatted once; nil when another handler than wellknownd's takes the lines.
    private let template: DatagramLine?
    private var responder: any DatagramResponder
    /// Each datagram's bytes for the responder, in one buffer kept from datagram to datagram: a reply that is the
    /// request itself (echo) is copied out before the next one, so the buffer is ours alone again by then and is
    /// refilled in place rather than allocated.
    private var request = ByteBuffer()
    private let boundServer: String
    private let localPort: Int
    /// The last datagram's peers, kept from burst to burst with the run of its sender. Runs are numbered from 1,
    /// so the placeholder client the socket starts with is replaced before any datagram is answered.
    private var clientRun: UInt64 = 0
    private var peers: DatagramPeers

    init(_ route: Route, generation: Int, bound: SocketAddress?, logger: Logger) {
        self.generation = generation
        self.policy = DatagramPolicy(route, logger: logger)
        self.lines = RecordBatch(self.policy.records)
        // A UDP route always has a datagram side (the catalog refuses UDP for services without one); silence is
        // the safe answer if it ever had not.
        self.responder = route.instance.makeDatagramResponder() ?? Silence()
        self.peers = DatagramPeers(client: SocketAddress(sockaddr_in(), host: ""), destination: nil, bound: bound)
        let localPort = bound?.port ?? 0
        let boundServer = bound?.logDescription ?? "?"
        self.localPort = localPort
        self.boundServer = boundServer
        self.template = self.lines.lineFormat.map {
            DatagramLine(
                format: $0.format,
                journal: $0.journal,
                service: route.counters.service,
                localPort: localPort,
                boundServer: boundServer
            )
        }
    }

    /// Answers the `count` datagrams in `batch`: each through the policy and the responder, its reply queued in
    /// the batch, its record formatted; the burst's records then go to the log in one piece.
    ///
    /// The burst arrived in one recvmmsg and is answered within a fraction of a millisecond, so the guard's clock and
    /// the lines' clock are read once for all of it: read per datagram, they were a visible share of the loop's
    /// core (bench/PROFILES.md). Every line of a burst carries the time it was read.
    mutating func answer(_ batch: DatagramBatch, count: Int, packetInfo: Bool, allocator: ByteBufferAllocator) {
        if let template = self.template, let buffer = self.lines.lineBuffer {
            let lines = TemplatedLines(template: template, buffer: buffer, batch: self.lines, time: template.time())
            self.answer(batch, count: count, packetInfo: packetInfo, allocator: allocator, lines: lines)
        } else {
            let lines = RecordedLines(
                policy: self.policy,
                batch: self.lines,
                localPort: self.localPort,
                boundServer: self.boundServer
            )
            self.answer(batch, count: count, packetInfo: packetInfo, allocator: allocator, lines: lines)
        }
        self.lines.flush()
    }

    /// The loop over one burst, specialised for each way of writing its lines. What a datagram touches is reached
    /// through locals and parameters that outlive the burst, and the client changes only with the sender's run
    /// (`DatagramBatch.sourceRun(of:)`): a value read from `self`, bound out of an optional or copied into a new
    /// `DatagramPeers` for every datagram cost a retain and a release each, atomic operations that together were the
    /// largest share of the loop's own time (bench/HISTORY.md).
    private mutating func answer<Lines: BurstLines>(
        _ batch: DatagramBatch,
        count: Int,
        packetInfo: Bool,
        allocator: ByteBufferAllocator,
        lines: Lines
    ) {
        let policy = self.policy
        let arrived = policy.guardTime()
        var clientRun = self.clientRun
        var peers = self.peers
        for slot in 0..<count {
            guard let run = batch.sourceRun(of: slot) else { continue }
            if run != clientRun {
                guard let source = batch.runSource else { continue }
                clientRun = run
                peers.client = source
            }
            let payload = batch.payload(of: slot)
            guard let limit = policy.admit(from: peers.client, size: payload.count, at: arrived) else { continue }
            let destination = packetInfo ? batch.destination(of: slot) : nil
            if packetInfo {
                peers.destination = destination
            }
            self.request.clear()
            self.request.writeBytes(payload)
            var replied: Int?
            if let reply = self.responder.reply(to: self.request, peers: peers, allocator: allocator),
                let allowed = policy.allow(replyOf: reply.readableBytes, limit: limit, to: peers.client)
            {
                batch.queueReply(reply, count: allowed, toSenderOf: slot)
                replied = allowed
            }
            lines.write(
                client: peers.client,
                clientRun: run,
                destination: destination,
                bytesIn: payload.count,
                bytesOut: replied
            )
        }
        self.clientRun = clientRun
        self.peers = peers
    }

    private struct Silence: DatagramResponder {
        func reply(to request: ByteBuffer, peers: DatagramPeers, allocator: ByteBufferAllocator) -> ByteBuffer? {
            nil
        }
    }
}

/// How the lines of one burst are written: from the socket's template straight into the batch's buffer
/// (wellknownd's own handler), or as records through the policy (any other handler, or info lines not logged).
private protocol BurstLines {
    func write(client: SocketAddress, clientRun: UInt64, destination: SocketAddress?, bytesIn: Int, bytesOut: Int?)
}

private struct TemplatedLines: BurstLines {
    let template: DatagramLine
    let buffer: LogBytes
    let batch: RecordBatch
    /// The burst's stamp, read once for all its lines.
    let time: WallClockTime

    func write(client: SocketAddress, clientRun: UInt64, destination: SocketAddress?, bytesIn: Int, bytesOut: Int?) {
        self.template.append(
            client: client,
            clientRun: clientRun,
            destination: destination,
            bytesIn: bytesIn,
            bytesOut: bytesOut,
            at: self.time,
            to: self.buffer
        )
        self.batch.lineAppended()
    }
}

private struct RecordedLines: BurstLines {
    let policy: DatagramPolicy
    let batch: RecordBatch
    let localPort: Int
    let boundServer: String

    func write(client: SocketAddress, clientRun: UInt64, destination: SocketAddress?, bytesIn: Int, bytesOut: Int?) {
        self.policy.record(
            client: client,
            destination: destination,
            localPort: self.localPort,
            boundServer: self.boundServer,
            bytesIn: bytesIn,
            bytesOut: bytesOut,
            into: self.batch
        )
    }
}
