// Admission of TCP connections, checked when a connection is accepted and before any byte is sent: the total
// limit, the entry's own limit, and per source (an IPv4 address; an IPv6 /64) a limit on open connections and a
// token bucket on new ones, which catches bursts that xinetd's averaged `cps` lets through.
import NIOConcurrencyHelpers
import NIOCore
import WellKnownConfig

enum ConnectionRefusal: String, CaseIterable, Sendable {
    case accessDenied = "access-denied"
    case connections = "connections"
    case serviceConnections = "service-connections"
    case sourceConnections = "source-connections"
    case sourceRate = "source-rate"
}

final class ConnectionGate: Sendable {
    private struct State {
        var open = 0
        var openPerEntry: [Int: Int] = [:]
        var openPerSource: [SourceKey: Int] = [:]
        var buckets: SourceBuckets
    }

    let limits: ConnectionLimits
    private let entryLimits: [Int: Int]
    private let entryAccess: [Int: AccessPolicy]
    private let state: NIOLockedValueBox<State>
    private let now: @Sendable () -> NIODeadline
    /// The most sources whose accept buckets are kept; idle (full) ones are forgotten first.
    let maximumSources: Int
    let refusals = ReasonTally<ConnectionRefusal>()

    init(
        limits: ConnectionLimits,
        entryLimits: [Int: Int],
        entryAccess: [Int: AccessPolicy] = [:],
        maximumSources: Int = 65536,
        now: @escaping @Sendable () -> NIODeadline = { .now() }
    ) {
        self.limits = limits
        self.entryLimits = entryLimits
        self.entryAccess = entryAccess
        self.maximumSources = maximumSources
        self.now = now
        self.state = NIOLockedValueBox(
            State(
                buckets: SourceBuckets(
                    rate: limits.perSourceAcceptRate,
                    burst: limits.perSourceAcceptBurst,
                    maximumSources: maximumSources
                )
            )
        )
    }

    /// Whose connection it is, for the per-source limits. AF_UNIX clients are local: only the total and the
    /// entry's limits apply to them.
    private static func sourceKey(_ source: SocketAddress?) -> SourceKey? {
        guard let source, source.ipBytes != nil else { return nil }
        return SourceKey(source)
    }

    /// Takes a place for a new connection of `entry` from `source`, or says why not. A connection admitted must be
    /// released when it closes.
    func admit(entry: Int, source: SocketAddress?) -> ConnectionRefusal? {
        if let policy = self.entryAccess[entry], let bytes = source?.ipBytes, !policy.permits(bytes) {
            return .accessDenied
        }
        let key = Self.sourceKey(source)
        let now = self.now()
        return self.state.withLockedValue { state in
            guard state.open < self.limits.connections else { return .connections }
            if let limit = self.entryLimits[entry], state.openPerEntry[entry, default: 0] >= limit {
                return .serviceConnections
            }
            if let key {
                guard state.openPerSource[key, default: 0] < self.limits.perSourceConnections else {
                    return .sourceConnections
                }
                let allowed = state.buckets.take(key, now: now)
                guard allowed else { return .sourceRate }
                state.openPerSource[key, default: 0] += 1
            }
            state.open += 1
            state.openPerEntry[entry, default: 0] += 1
            return nil
        }
    }

    func release(entry: Int, source: SocketAddress?) {
        let key = Self.sourceKey(source)
        self.state.withLockedValue { state in
            state.open -= 1
            state.openPerEntry[entry, default: 1] -= 1
            if let key {
                let remaining = state.openPerSource[key, default: 1] - 1
                state.openPerSource[key] = remaining > 0 ? remaining : nil
            }
        }
    }

    var openConnections: Int { self.state.withLockedValue { $0.open } }
}

/// The whole pipeline of a refused connection: it closes at once, before any byte is sent.
final class RefusedConnectionHandler: ChannelInboundHandler {
    typealias InboundIn = ByteBuffer

    func channelActive(context: ChannelHandlerContext) {
        context.close(promise: nil)
    }

    func channelRead(context: ChannelHandlerContext, data: NIOAny) {}
}
