import NIOCore

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
