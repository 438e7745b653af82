#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation
import NIOConcurrencyHelpers
import WellKnownServices

/// The real world the services are given: the system clock, the system's time zones, the system's randomness.
enum SystemEnvironment {
    static let live = ServiceEnvironment(
        clock: WallClock {
            var ts = timespec()
            guard clock_gettime(CLOCK_REALTIME, &ts) == 0 else { return nil }
            return WallClockTime(secondsSinceEpoch: Int64(ts.tv_sec), nanoseconds: Int32(ts.tv_nsec))
        },
        random: .system,
        timeZone: resolveZone
    )

    /// `local` is the system's zone (TZ, else /etc/localtime); `UTC` needs no database; anything else is looked up
    /// as an IANA name.
    static func resolveZone(_ name: String) -> (any TimeZoneRules)? {
        switch name {
        case "UTC":
            return FixedOffsetZone.utc
        case "local":
            return FoundationZone(TimeZone.current)
        default:
            return TimeZone(identifier: name).map(FoundationZone.init)
        }
    }
}

/// A zone from the time zone database. Asking Foundation costs microseconds, and the answer only changes at a
/// transition, so the last answer is kept for the minute it was asked in.
final class FoundationZone: TimeZoneRules {
    private let zone: TimeZone
    private let cache = NIOLockedValueBox<(minute: Int64, offset: UTCOffset)?>(nil)

    init(_ zone: TimeZone) {
        self.zone = zone
    }

    func offset(atSecondsSinceEpoch seconds: Int64) -> UTCOffset {
        let minute = seconds >= 0 ? seconds / 60 : (seconds - 59) / 60
        if let cached = self.cache.withLockedValue({ $0 }), cached.minute == minute {
            return cached.offset
        }
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        let offset = UTCOffset(
            seconds: self.zone.secondsFromGMT(for: date),
            abbreviation: self.zone.abbreviation(for: date) ?? self.zone.identifier
        )
        self.cache.withLockedValue { $0 = (minute, offset) }
        return offset
    }
}
