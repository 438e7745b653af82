import WellKnownCalendar
import WellKnownServices

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The real world the services are given: the system clock, the system's time zones, the system's randomness, the
/// kernel's table of TCP connections.
enum SystemEnvironment {
    static let live = ServiceEnvironment(
        clock: WallClock {
            var ts = timespec()
            guard clock_gettime(CLOCK_REALTIME, &ts) == 0 else { return nil }
            return WallClockTime(secondsSinceEpoch: Int64(ts.tv_sec), nanoseconds: Int32(ts.tv_nsec))
        },
        random: .system,
        connectionOwners: SocketTable.owners,
        timeZone: resolveZone
    )

    /// `local` is the system's zone (TZ, else /etc/localtime); `UTC` needs no database; anything else is looked up
    /// as an IANA name.
    static func resolveZone(_ name: String) -> (any TimeZoneRules)? {
        switch name {
        case "UTC":
            return FixedOffsetZone.utc
        case "local":
            return LocalZone()
        default:
            return NamedZone(identifier: name)
        }
    }
}
