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
            state.openPerEntry = state.openPerEntry.filter { $0.value > 0 }
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
                // Found once, then counted where it lies: every connection of a daytime or time client adds its
                // source and removes it again, and the hash lookups were most of the gate's cost (bench/PROFILES.md).
                let index = state.openPerSource.index(forKey: key)
                let open = index.map { state.openPerSource.values[$0] } ?? 0
                guard open < state.limits.perSourceConnections else { return .sourceConnections }
                let allowed = state.buckets.take(key, now: now)
                guard allowed else { return .sourceRate }
                if let index {
                    state.openPerSource.values[index] += 1
                } else {
                    state.openPerSource[key] = 1
                }
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
            // An entry's count stays at zero (there are only as many as the configuration has, and a reload drops
            // the idle ones), so that the next connection finds it instead of inserting the key again.
            if let index = state.openPerEntry.index(forKey: entry.key) {
                state.openPerEntry.values[index] -= 1
            }
            // A source's goes at zero: sources come and go without bound.
            if let key, let index = state.openPerSource.index(forKey: key) {
                if state.openPerSource.values[index] > 1 {
                    state.openPerSource.values[index] -= 1
                } else {
                    state.openPerSource.remove(at: index)
                }
            }
        }
    }

    /// How many sources and entries have connections open: what the gate holds beyond its accept buckets, and the
    /// entries it keeps counts for.
    var countedPlaces: (sources: Int, entries: Int, entriesKept: Int) {
        self.state.withLockedValue { state in
            (state.openPerSource.count, state.openPerEntry.values.filter { $0 > 0 }.count, state.openPerEntry.count)
        }
    }

    var openConnections: Int { self.state.withLockedValue { $0.open } }
}
