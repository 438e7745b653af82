import NIOConcurrencyHelpers
import Synchronization

/// Counts refusals by reason between two summaries, with the first example of each: refused connections and
/// dropped datagrams are logged as one line per reason and period, never one per event, whatever the flood.
final class ReasonTally<Reason: Hashable & CaseIterable & Sendable>: Sendable where Reason.AllCases: Sendable {
    private let counts = NIOLockedValueBox<[Reason: (count: Int, example: String)]>([:])
    private let sinceStart = NIOLockedValueBox<[Reason: Int]>([:])
    let total = Atomic<Int>(0)

    /// `example` is only evaluated for the first event of a reason in a period.
    func record(_ reason: Reason, example: () -> String) {
        self.total.add(1, ordering: .relaxed)
        self.sinceStart.withLockedValue { $0[reason, default: 0] += 1 }
        self.counts.withLockedValue { counts in
            if let current = counts[reason] {
                counts[reason] = (current.count + 1, current.example)
            } else {
                counts[reason] = (1, example())
            }
        }
    }

    /// What was recorded since the last call, in the order of `Reason.allCases`.
    func take() -> [(reason: Reason, count: Int, example: String)] {
        let taken = self.counts.withLockedValue { counts in
            defer { counts = [:] }
            return counts
        }
        return Reason.allCases.compactMap { reason in taken[reason].map { (reason, $0.count, $0.example) } }
    }
}

extension ReasonTally where Reason: RawRepresentable<String> {
    /// Every reason recorded since the start with its count, `source-rate:12 access-denied:3`; "none" if nothing was.
    var totalsByReason: String {
        let totals = self.sinceStart.withLockedValue { $0 }
        let parts = Reason.allCases.compactMap { reason in totals[reason].map { "\(reason.rawValue):\($0)" } }
        return parts.isEmpty ? "none" : parts.joined(separator: " ")
    }
}
