import Logging
import Synchronization

/// The daemon's datagram loops, one per core: a UDP address the daemon binds gets one SO_REUSEPORT socket on each,
/// an inherited socket goes to the loops in turn.
final class DatagramLoops: Sendable {
    let loops: [DatagramLoop]
    private let next = Atomic<Int>(0)

    init(count: Int, logger: Logger) {
        self.loops = (0..<max(count, 1)).map { DatagramLoop(name: "wellknownd-udp-\($0)", logger: logger) }
    }

    /// The loop for a socket without siblings on the other loops.
    func nextLoop() -> DatagramLoop {
        self.loops[self.next.add(1, ordering: .relaxed).oldValue % self.loops.count]
    }
}
