import Logging
import NIOCore
import WellKnownLogging
import WellKnownServices

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
    private let bound: SocketAddress?
    private let boundServer: String
    private let localPort: Int

    init(_ route: Route, generation: Int, bound: SocketAddress?, logger: Logger) {
        self.generation = generation
        self.policy = DatagramPolicy(route, logger: logger)
        self.lines = RecordBatch(self.policy.records)
        // A UDP route always has a datagram side (the catalog refuses UDP for services without one); silence is
        // the safe answer if it ever had not.
        self.responder = route.instance.makeDatagramResponder() ?? Silence()
        self.bound = bound
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
        let arrived = self.policy.guardTime()
        let stamp = self.template?.time()
        for slot in 0..<count {
            guard let client = batch.source(of: slot) else { continue }
            let payload = batch.payload(of: slot)
            guard let limit = self.policy.admit(from: client, size: payload.count, at: arrived) else { continue }
            let destination = packetInfo ? batch.destination(of: slot) : nil
            self.request.clear()
            self.request.writeBytes(payload)
            var replied: Int?
            let peers = DatagramPeers(client: client, destination: destination, bound: self.bound)
            if let reply = self.responder.reply(to: self.request, peers: peers, allocator: allocator),
                let allowed = self.policy.allow(replyOf: reply.readableBytes, limit: limit, to: client)
            {
                batch.queueReply(reply, count: allowed, toSenderOf: slot)
                replied = allowed
            }
            self.policy.record(
                client: client,
                destination: destination,
                localPort: self.localPort,
                boundServer: self.boundServer,
                bytesIn: payload.count,
                bytesOut: replied,
                into: self.lines,
                template: self.template,
                time: stamp
            )
        }
        self.lines.flush()
    }

    private struct Silence: DatagramResponder {
        func reply(to request: ByteBuffer, peers: DatagramPeers, allocator: ByteBufferAllocator) -> ByteBuffer? {
            nil
        }
    }
}
