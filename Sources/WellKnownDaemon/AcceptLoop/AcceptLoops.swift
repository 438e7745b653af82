import Logging
import Synchronization

/// The daemon's accept loops, one per core: a TCP address of a one-shot service gets one SO_REUSEPORT socket per
/// event loop, and each is served by the accept loop of the same index; an inherited socket goes to the loops in
/// turn.
final class AcceptLoops: Sendable {
    let loops: [AcceptLoop]
    private let next = Atomic<Int>(0)

    init(count: Int, logger: Logger) {
        self.loops = (0..<max(count, 1)).map { AcceptLoop(name: "wellknownd-accept-\($0)", logger: logger) }
    }

    /// The loop for the socket at `index` of a listener's sockets; a listener with one socket takes the loops in turn.
    func loop(for index: Int, of count: Int) -> AcceptLoop {
        count == 1
            ? self.loops[self.next.add(1, ordering: .relaxed).oldValue % self.loops.count]
            : self.loops[index % self.loops.count]
    }
}
