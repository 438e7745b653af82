// The guard in front of every UDP service. These services are classic reflection and loop vectors (CVE-1999-0103,
// US-CERT TA14-017A: chargen amplifies 358×), so before any service sees a datagram:
// - sources that cannot be genuine clients are refused: port 0, the denied ports, the daemon's own UDP ports (an
//   echo or chargen elsewhere, or a loop), and unspecified, multicast and broadcast addresses (IPv4, IPv6, and
//   IPv4 mapped into IPv6);
// - each source (an IPv4 address; an IPv6 /64, since one host holds a whole /64) and all sources together get
//   token buckets, so a spoofed flood cannot make the daemon an amplifier;
// and after it, no reply may be larger than a factor of its request (with a floor for empty daytime requests).
// Drops are counted by reason and summarised periodically, never logged one line per packet.
import Logging
import NIOConcurrencyHelpers
import NIOCore
import Synchronization
import WellKnownConfig

/// Why a datagram was dropped.
enum DatagramDropReason: String, CaseIterable, Sendable {
    case accessDenied = "access-denied"
    case sourcePortZero = "source-port-0"
    case deniedSourcePort = "denied-source-port"
    case ownPort = "own-port"
    case martianSource = "martian-source"
    case sourceRate = "source-rate"
    case totalRate = "total-rate"
}

/// A token bucket: `rate` tokens a second up to `burst`; a datagram costs one.
struct TokenBucket: Sendable {
    let rate: Double
    let burst: Double
    private(set) var tokens: Double
    private var last: NIODeadline

    init(rate: Double, burst: Int, now: NIODeadline) {
        self.rate = rate
        self.burst = Double(burst)
        self.tokens = Double(burst)
        self.last = now
    }

    mutating func take(now: NIODeadline) -> Bool {
        let elapsed = Double(max(0, (now - self.last).nanoseconds)) / 1e9
        self.tokens = min(self.burst, self.tokens + elapsed * self.rate)
        self.last = now
        guard self.tokens >= 1 else { return false }
        self.tokens -= 1
        return true
    }

    /// Whether the bucket is full again, i.e. the source has been quiet long enough to be forgotten.
    func isFull(now: NIODeadline) -> Bool {
        self.tokens + Double(max(0, (now - self.last).nanoseconds)) / 1e9 * self.rate >= self.burst
    }
}

/// The shared state of the guard: rate limits across every UDP socket and event loop, and the drop counts.
final class DatagramGuardState: Sendable {
    let settings: UDPGuardConfiguration
    /// 0 is never a client's port; our own UDP ports are refused so that no two such services can loop.
    let refusedPorts: Set<Int>
    let ownPorts: Set<Int>
    /// `refusedPorts` and `ownPorts` as bitmaps: looked up for every datagram.
    private let refusedPortMap: PortMap
    private let ownPortMap: PortMap
    private let now: @Sendable () -> NIODeadline
    private let buckets: NIOLockedValueBox<(total: TokenBucket, sources: SourceBuckets)>
    /// The most sources tracked at once; beyond it, idle ones are forgotten, and a flood of new ones shares one
    /// bucket, so memory stays bounded whatever the sources.
    let maximumSources: Int
    /// Shared by every state a reload replaces, so that one summary loop reports them all.
    let drops: ReasonTally<DatagramDropReason>

    init(
        settings: UDPGuardConfiguration,
        ownPorts: Set<Int>,
        drops: ReasonTally<DatagramDropReason> = ReasonTally(),
        maximumSources: Int = 65536,
        now: @escaping @Sendable () -> NIODeadline = { .now() }
    ) {
        self.settings = settings
        self.ownPorts = ownPorts
        self.drops = drops
        self.refusedPorts = Set(settings.deniedSourcePorts)
        self.refusedPortMap = PortMap(self.refusedPorts)
        self.ownPortMap = PortMap(ownPorts)
        self.maximumSources = maximumSources
        self.now = now
        self.buckets = NIOLockedValueBox(
            (
                TokenBucket(rate: settings.totalRate, burst: settings.totalBurst, now: now()),
                SourceBuckets(
                    rate: settings.perSourceRate,
                    burst: settings.perSourceBurst,
                    maximumSources: maximumSources
                )
            )
        )
    }

    /// nil to serve the datagram, or why not.
    func admit(from source: SocketAddress) -> DatagramDropReason? {
        guard let port = source.port, port != 0 else { return .sourcePortZero }
        if self.ownPortMap.contains(port) { return .ownPort }
        if self.refusedPortMap.contains(port) { return .deniedSourcePort }
        guard let key = SourceKey(source) else { return .martianSource }
        let now = self.now()
        return self.buckets.withLockedValue { buckets in
            guard buckets.sources.take(key, now: now) else { return .sourceRate }
            guard buckets.total.take(now: now) else { return .totalRate }
            return nil
        }
    }

    var trackedSources: Int { self.buckets.withLockedValue { $0.sources.buckets.count } }

    func recordDrop(_ reason: DatagramDropReason, source: SocketAddress) {
        self.drops.record(reason) { source.logDescription }
    }

    /// The largest reply allowed to a request of `requestSize` bytes.
    func replyLimit(requestSize: Int) -> Int {
        max(self.settings.replyFloor, Int(Double(requestSize) * self.settings.replyFactor))
    }
}

/// A set of ports, 0 to 65535, as 8 KiB of bits.
struct PortMap: Sendable {
    private var words = [UInt64](repeating: 0, count: 1024)

    init(_ ports: some Sequence<Int>) {
        for port in ports where (0...65535).contains(port) {
            self.words[port >> 6] |= 1 << UInt64(port & 63)
        }
    }

    func contains(_ port: Int) -> Bool {
        guard (0...65535).contains(port) else { return false }
        return self.words[port >> 6] & (1 << UInt64(port & 63)) != 0
    }
}

/// Who a datagram is from, for rate limiting: an IPv4 address, or the /64 of an IPv6 one. nil for sources that
/// cannot be genuine (unspecified, multicast, broadcast or reserved).
struct SourceKey: Hashable, Sendable {
    private let high: UInt64
    private let low: UInt64

    static let overflow = SourceKey(high: .max, low: .max)

    private init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    init?(_ address: SocketAddress) {
        if let ipv4 = address.ipv4Value {
            // 0.0.0.0/8 (this network), 224.0.0.0/4 (multicast) and 240.0.0.0/4 (reserved, with 255.255.255.255)
            // are refused; loopback and private ranges are ordinary clients.
            let first = ipv4 >> 24
            guard first != 0, first < 224 else { return nil }
            self.init(high: 0, low: UInt64(ipv4))
        } else if let (high, low) = address.ipv6Halves {
            // :: (unspecified) and ff00::/8 (multicast) are never a client.
            guard high != 0 || low != 0, high >> 56 != 0xFF else { return nil }
            self.init(high: high, low: 1)
        } else {
            self.init(high: 0, low: 2)
        }
    }
}

/// Token buckets per source, at most `maximumSources` of them: when the table is full, sources whose buckets are
/// full again (quiet long enough) are forgotten, and if that frees nothing, new sources share one overflow bucket.
/// Memory stays bounded however many sources a flood invents, and none of them escapes the limit.
struct SourceBuckets: Sendable {
    let rate: Double
    let burst: Int
    let maximumSources: Int
    private(set) var buckets: [SourceKey: TokenBucket] = [:]

    init(rate: Double, burst: Int, maximumSources: Int) {
        self.rate = rate
        self.burst = burst
        self.maximumSources = maximumSources
    }

    /// Takes a token for `source`; false when its bucket (or the overflow bucket it shares) is empty.
    mutating func take(_ source: SourceKey, now: NIODeadline) -> Bool {
        var key = source
        if self.buckets.count >= self.maximumSources, self.buckets[key] == nil {
            self.buckets = self.buckets.filter { !$0.value.isFull(now: now) }
            if self.buckets.count >= self.maximumSources {
                key = .overflow
            }
        }
        // One hash lookup: the bucket is updated where it lies.
        return self.buckets[key, default: TokenBucket(rate: self.rate, burst: self.burst, now: now)].take(now: now)
    }
}

/// First in every UDP pipeline: drops what the guard refuses before anything else sees it.
final class DatagramGuardHandler: ChannelInboundHandler, RemovableChannelHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias InboundOut = AddressedEnvelope<ByteBuffer>

    private let state: DatagramGuardState
    private let counters: ServiceCounters
    private let access: AccessPolicy

    init(state: DatagramGuardState, counters: ServiceCounters, access: AccessPolicy = .everyone) {
        self.state = state
        self.counters = counters
        self.access = access
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        let source = self.unwrapInboundIn(data).remoteAddress
        if let reason = self.access.permits(source) ? self.state.admit(from: source) : .accessDenied {
            self.state.recordDrop(reason, source: source)
            self.counters.dropped.add(1, ordering: .relaxed)
            return
        }
        context.fireChannelRead(data)
    }
}

/// Between the recorder and the service: a reply longer than the guard allows for its request is cut to that size
/// (only chargen's random-length replies ever are, with the defaults).
final class ReplySizeCap: ChannelDuplexHandler, RemovableChannelHandler {
    typealias InboundIn = AddressedEnvelope<ByteBuffer>
    typealias InboundOut = AddressedEnvelope<ByteBuffer>
    typealias OutboundIn = AddressedEnvelope<ByteBuffer>
    typealias OutboundOut = AddressedEnvelope<ByteBuffer>

    private let state: DatagramGuardState
    private var limit = Int.max

    init(state: DatagramGuardState) {
        self.state = state
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        self.limit = self.state.replyLimit(requestSize: self.unwrapInboundIn(data).data.readableBytes)
        context.fireChannelRead(data)
    }

    func write(context: ChannelHandlerContext, data: NIOAny, promise: EventLoopPromise<Void>?) {
        var envelope = self.unwrapOutboundIn(data)
        guard envelope.data.readableBytes > self.limit else {
            context.write(data, promise: promise)
            return
        }
        envelope.data.moveWriterIndex(to: envelope.data.readerIndex + self.limit)
        context.write(self.wrapOutboundOut(envelope), promise: promise)
    }
}
