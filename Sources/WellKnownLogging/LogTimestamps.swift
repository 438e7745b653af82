import WellKnownCalendar

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Log timestamps, `2026-11-27T05:10:00.123Z`: the date and time up to the second formatted once per second, the
/// milliseconds written into the stamp once per millisecond, so that the lines of one burst (a batch of datagrams
/// is answered within one) copy one stamp. For one thread: the formatter keeps one per thread, a line template
/// (`DatagramLine`) one of its own.
public final class LogTimestamps {
    private var second: Int64 = .min
    private var millisecond = -1
    /// The stamp as it is copied into lines. Raw memory rather than an array: an array property is retained and
    /// released around every copy out of it, one pair of atomic operations per line.
    private var stamp: UnsafeMutablePointer<UInt8>
    private var stampCapacity = 24
    private var stampLength = 0

    public init() {
        self.stamp = .allocate(capacity: self.stampCapacity)
    }

    deinit {
        self.stamp.deallocate()
    }

    /// The time now, as lines are stamped.
    public static func now() -> WallClockTime {
        var ts = timespec()
        clock_gettime(CLOCK_REALTIME, &ts)
        return WallClockTime(secondsSinceEpoch: Int64(ts.tv_sec), nanoseconds: Int32(ts.tv_nsec))
    }

    public func append(_ time: WallClockTime, to out: LogBytes) {
        if self.second != time.secondsSinceEpoch {
            var w = ASCIIWriter(capacity: 24)
            w.appendISO8601(CivilTime(secondsSinceEpoch: time.secondsSinceEpoch))
            self.second = time.secondsSinceEpoch
            self.millisecond = -1
            let bytes = w.bytes + Array(".000Z".utf8)
            if bytes.count > self.stampCapacity {
                // Only for years beyond 9999, which ASCIIWriter writes in full.
                self.stamp.deallocate()
                self.stampCapacity = bytes.count
                self.stamp = .allocate(capacity: bytes.count)
            }
            for (index, byte) in bytes.enumerated() {
                self.stamp[index] = byte
            }
            self.stampLength = bytes.count
        }
        let millis = Int(time.nanoseconds) / 1_000_000
        if millis != self.millisecond {
            self.millisecond = millis
            let end = self.stampLength - 1
            self.stamp[end - 3] = UInt8(ascii: "0") + UInt8(millis / 100)
            self.stamp[end - 2] = UInt8(ascii: "0") + UInt8(millis / 10 % 10)
            self.stamp[end - 1] = UInt8(ascii: "0") + UInt8(millis % 10)
        }
        out.append(contentsOf: UnsafeRawBufferPointer(start: self.stamp, count: self.stampLength))
    }
}
