// Admission of TCP connections, checked when a connection is accepted and before any byte is sent: the total
// limit, the entry's own limit, and per source (an IPv4 address; an IPv6 /64) a limit on open connections and a
// token bucket on new ones, which catches bursts that xinetd's averaged `cps` lets through.
import NIOConcurrencyHelpers
import NIOCore
import WellKnownConfig
import WellKnownLogging

final class ConnectionGate: Sendable {
    private struct State {
        var limits: ConnectionLimits
        var open = 0
        var openPerEntry: [String: Int] = [:]
        var openPerSource: [SourceKey: Int] = [:]
        var buckets: SourceBuckets
    }

    private let state: NIOLockedValueBox<State>
    private let now: @Sendable () -> NIODeadline
    /// The most sources whose accept buckets are kept; idle (full) ones are forgotten first.
    let maximumSources: Int
    let refusals = ReasonTally<ConnectionRefusal>()

    init(
        limits: ConnectionLimits,
        maximumSources: Int = 65536,
        now: @escaping @Sendable () -> NIODeadline = { .now() }
    ) {
        self.maximumSources = maximumSources
        self.now = now
        self.state = NIOLockedValueBox(
            State(
                limits: limits,
                buckets: SourceBuckets(
                    rate: limits.perSourceAcceptRate,
                    burst: limits.perSourceAcceptBurst,
                    maximumSources: maximumSources
                )
            )
        )
    }

    var limits: ConnectionLimits { self.state.withLockedValue { $0.limits } }

    /// New limits from a reload. Open connections keep their places and count against the new limits; the accept
    /// buckets start afresh only if their rate or burst changed.
    func update(limits: ConnectionLimits) {
        self.state.withLockedValue { state in
            if limits.perSourceAcceptRate != state.limits.perSourceAcceptRate
                || limits.perSourceAcceptBurst != state.limits.perSourceAcceptBurst
            {
                state.buckets = SourceBuckets(
                    rate: limits.perSourceAcceptRate,
                    burst: limits.perSourceAcceptBurst,
                    maximumSources: self.maximumSources
                )
            }
            state.limits = limits
        }
    }

    /// Whose connection it is, for the per-source limits. AF_UNIX clients are local: only the total and the
    /// entry's limits apply to them.
    private static func sourceKey(_ source: SocketAddress?) -> SourceKey? {
        guard let source, !source.isUnix else { return nil }
        return SourceKey(source)
    }

    /// Takes a place for a new connection of `entry` from `source`, or says why not. A connection admitted must be
    /// released when it closes.
    func admit(_ entry: EntryAdmission, source: SocketAddress?) -> ConnectionRefusal? {
        if let source, !entry.access.permits(source) {
            return .accessDenied
        }
        let key = Self.sourceKey(source)
        let now = self.now()
        return self.state.withLockedValue { state in
            guard state.open < state.limits.connections else { return .connections }
            if let limit = entry.limit, state.openPerEntry[entry.key, default: 0] >= limit {
                return .serviceConnections
            }
            if let key {
                guard state.openPerSource[key, default: 0] < state.limits.perSourceConnections else {
                    return .sourceConnections
                }
                let allowed = state.buckets.take(key, now: now)
                guard allowed else { return .sourceRate }
                state.openPerSource[key, default: 0] += 1
            }
            state.open += 1
            state.openPerEntry[entry.key, default: 0] += 1
            return nil
        }
    }

    func release(_ entry: EntryAdmission, source: SocketAddress?) {
        let key = Self.sourceKey(source)
        self.state.withLockedValue { state in
            state.open -= 1
            let remainingForEntry = state.openPerEntry[entry.key, default: 1] - 1
            state.openPerEntry[entry.key] = remainingForEntry > 0 ? remainingForEntry : nil
            if let key {
                let remaining = state.openPerSource[key, default: 1] - 1
                state.openPerSource[key] = remaining > 0 ? remaining : nil
            }
        }
    }

    var openConnections: Int { self.state.withLockedValue { $0.open } }
}
