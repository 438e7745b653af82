import Foundation
import NIOConcurrencyHelpers
import WellKnownServices

/// A named zone from the time zone database. Foundation gives the offset; the abbreviation comes from the zone's
/// TZif file, because Foundation on Linux only offers "GMT+2". Asking Foundation costs microseconds and the answer
/// only changes at a transition, so the last answer is kept for the minute it was asked in.
final class NamedZone: TimeZoneRules {
    private let zone: TimeZone
    private let tzif: TZifFile?
    private let cache = NIOLockedValueBox<(minute: Int64, offset: UTCOffset)?>(nil)

    init?(identifier: String, zoneinfo: String = "/usr/share/zoneinfo") {
        // Names are paths below zoneinfo: refuse anything that could leave it.
        guard !identifier.isEmpty, !identifier.hasPrefix("/"), !identifier.split(separator: "/").contains(".."),
            let zone = TimeZone(identifier: identifier)
        else { return nil }
        self.zone = zone
        self.tzif = (try? Data(contentsOf: URL(fileURLWithPath: "\(zoneinfo)/\(identifier)"))).flatMap {
            TZifFile(bytes: Array($0))
        }
    }

    func offset(atSecondsSinceEpoch seconds: Int64) -> UTCOffset {
        let minute = seconds >= 0 ? seconds / 60 : (seconds - 59) / 60
        if let cached = self.cache.withLockedValue({ $0 }), cached.minute == minute {
            return cached.offset
        }
        let date = Date(timeIntervalSince1970: TimeInterval(seconds))
        let isDST = self.zone.isDaylightSavingTime(for: date)
        let abbreviation =
            self.tzif?.abbreviation(at: seconds, isDST: isDST) ?? self.zone.abbreviation(for: date)
            ?? self.zone.identifier
        let offset = UTCOffset(seconds: self.zone.secondsFromGMT(for: date), abbreviation: abbreviation)
        self.cache.withLockedValue { $0 = (minute, offset) }
        return offset
    }
}
