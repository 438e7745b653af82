import NIOCore

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
