import NIOCore

/// Token buckets per source, at most `maximumSources` of them: when the table is full, sources whose buckets are
/// full again (quiet long enough) are forgotten, and if that frees nothing, new sources share one overflow bucket.
/// Memory stays bounded however many sources a flood invents, and none of them escapes the limit. Forgetting is a
/// pass over the whole table, so it is done at most once a second: a flood of new sources into a full table would
/// otherwise pay that pass for every datagram (65,536 entries each time, with the default table) and stall the loop
/// for every client.
struct SourceBuckets: Sendable {
    let rate: Double
    let burst: Int
    let maximumSources: Int
    private(set) var buckets: [SourceKey: TokenBucket] = [:]
    /// The source taken from last, and once it has come twice in a row, where its bucket lies: a client sends its
    /// datagrams in runs, and hashing the key and probing the table is much of the guard's cost per datagram
    /// (bench/PROFILES.md). Only a lookup that cannot move the table's entries keeps `recentIndex`; an insertion or a
    /// purge clears it.
    private var recentKey: SourceKey?
    private var recentIndex: Dictionary<SourceKey, TokenBucket>.Index?
    private var nextPurge: NIODeadline?
    /// How many times the table has been purged of sources whose buckets are full.
    private(set) var purges = 0
    static let purgeInterval = TimeAmount.seconds(1)

    init(rate: Double, burst: Int, maximumSources: Int) {
        self.rate = rate
        self.burst = burst
        self.maximumSources = maximumSources
    }

    /// Takes a token for `source`; false when its bucket (or the overflow bucket it shares) is empty.
    mutating func take(_ source: SourceKey, now: NIODeadline) -> Bool {
        if source == self.recentKey {
            if let index = self.recentIndex {
                return self.buckets.values[index].take(now: now)
            }
            // The second in a row: its bucket was made or found by the lookup before, so it is in the table.
            if let index = self.buckets.index(forKey: source) {
                self.recentIndex = index
                return self.buckets.values[index].take(now: now)
            }
        }
        self.recentKey = source
        self.recentIndex = nil
        var key = source
        if self.buckets.count >= self.maximumSources, self.buckets[key] == nil {
            if self.nextPurge.map({ now >= $0 }) ?? true {
                self.buckets = self.buckets.filter { !$0.value.isFull(now: now) }
                self.purges += 1
                self.nextPurge = now + Self.purgeInterval
            }
            if self.buckets.count >= self.maximumSources {
                key = .overflow
                self.recentKey = nil
            }
        }
        // One hash lookup: the bucket is updated where it lies.
        return self.buckets[key, default: TokenBucket(rate: self.rate, burst: self.burst, now: now)].take(now: now)
    }
}
