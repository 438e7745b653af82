// The guard in front of every UDP service. These services are classic reflection and loop vectors (CVE-1999-0103,
// US-CERT TA14-017A: chargen amplifies 358×), so before any service sees a datagram:
// - sources that cannot be genuine clients are refused: port 0, the denied ports, the daemon's own UDP ports (an
//   echo or chargen elsewhere, or a loop), and unspecified, multicast and broadcast addresses (IPv4, IPv6, and
//   IPv4 mapped into IPv6);
// - each source (an IPv4 address; an IPv6 /64, since one host holds a whole /64) and all sources together get
//   token buckets, so a spoofed flood cannot make the daemon an amplifier;
// and after it, no reply may be larger than a factor of its request (with a floor for empty daytime requests).
// Drops are counted by reason and summarised periodically, never logged one line per packet.
import NIOConcurrencyHelpers
import NIOCore
import WellKnownConfig
import WellKnownLogging

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

    /// The guard's clock: a `DatagramLoop` reads it once per burst and admits the burst's datagrams at that time.
    func time() -> NIODeadline { self.now() }

    /// nil to serve the datagram, or why not.
    func admit(from source: SocketAddress) -> DatagramDropReason? {
        self.admit(from: source, at: nil)
    }

    /// `time`: when the datagram arrived, if the caller has read the clock already (`time()`).
    func admit(from source: SocketAddress, at time: NIODeadline?) -> DatagramDropReason? {
        guard let port = source.port, port != 0 else { return .sourcePortZero }
        if self.ownPortMap.contains(port) { return .ownPort }
        if self.refusedPortMap.contains(port) { return .deniedSourcePort }
        guard let key = SourceKey(source) else { return .martianSource }
        let now = time ?? self.now()
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
