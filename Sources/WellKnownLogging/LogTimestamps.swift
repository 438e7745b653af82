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
    private var stamp: [UInt8] = []

    public init() {}

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
            self.stamp = w.bytes + Array(".000Z".utf8)
        }
        let millis = Int(time.nanoseconds) / 1_000_000
        if millis != self.millisecond {
            self.millisecond = millis
            let end = self.stamp.count - 1
            self.stamp[end - 3] = UInt8(ascii: "0") + UInt8(millis / 100)
            self.stamp[end - 2] = UInt8(ascii: "0") + UInt8(millis / 10 % 10)
            self.stamp[end - 1] = UInt8(ascii: "0") + UInt8(millis % 10)
        }
        out.append(contentsOf: self.stamp)
    }
}
