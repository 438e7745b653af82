import WellKnownServices

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The system's own zone, as date(1) sees it: localtime_r(3) honours TZ and /etc/localtime and gives the real
/// abbreviation ("CEST"), which Foundation on Linux does not (it says "GMT+2").
struct LocalZone: TimeZoneRules {
    func offset(atSecondsSinceEpoch seconds: Int64) -> UTCOffset {
        var time = time_t(seconds)
        var fields = tm()
        guard localtime_r(&time, &fields) != nil else { return .utc }
        let abbreviation = fields.tm_zone.map { String(cString: $0) } ?? "UTC"
        return UTCOffset(seconds: Int(fields.tm_gmtoff), abbreviation: abbreviation)
    }
}
