/// RFC 867 asks for "the current date and time as an ASCII character string" and names no format, so a line is
/// judged by the formats daytime servers are known to send: BSD's ctime (`Tue Dec  1 21:00:00 2026`), date(1)'s
/// (`Tue Dec  1 22:00:00 CET 2026`), RFC 3339, RFC 2822, and NIST's ACTS line. Where the line says its offset from
/// UTC, its skew from the local clock is shown and judged too.
public enum DaytimeCheck {
    public struct Reading: Sendable, Equatable {
        public let format: String
        /// Unix seconds, where the line says its offset from UTC.
        public let unixTime: Int64?
    }

    static let weekdays = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    static let months = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]

    public static func verify(_ bytes: [UInt8], now: Double, maxSkew: Double) -> Verdict {
        guard !bytes.isEmpty else { return .wrong("an empty answer") }
        guard bytes.count <= 256, bytes.allSatisfy({ (0x20...0x7E).contains($0) || $0 == 0x0D || $0 == 0x0A }) else {
            return .wrong("not a line of text: \"\(ByteDescription.text(bytes))\"")
        }
        var body = bytes[...]
        if body.last == 0x0A { body = body.dropLast() }
        if body.last == 0x0D { body = body.dropLast() }
        let line = String(decoding: body, as: UTF8.self)
        guard !body.contains(0x0A), !body.contains(0x0D) else {
            return .wrong("more than one line: \"\(ByteDescription.text(bytes))\"")
        }
        guard let reading = Self.parse(line) else {
            return .wrong("no known format parses \"\(ByteDescription.text(bytes))\"")
        }
        guard let time = reading.unixTime else {
            return .ok("\(reading.format) \"\(line)\"")
        }
        let skew = Double(time) - now
        let effective = skew < 0 ? min(0, skew + 1) : skew
        if abs(effective) > maxSkew {
            return .wrong(
                "\(reading.format) \"\(line)\" is \(TimeCheck.seconds(skew)) off the local clock (more than "
                    + "\(TimeCheck.seconds(maxSkew, signed: false)))"
            )
        }
        return .ok("\(reading.format) \"\(line)\" (skew \(TimeCheck.seconds(skew)))")
    }

    public static func parse(_ line: String) -> Reading? {
        Self.ctime(line) ?? Self.rfc3339(line) ?? Self.rfc2822(line) ?? Self.nist(line)
    }

    /// BSD's ctime line, or date(1)'s, which is the same with the zone before the year.
    static func ctime(_ line: String) -> Reading? {
        guard
            let m = line.wholeMatch(
                of: /(\w{3}) (\w{3}) ([ \d]\d) (\d\d):(\d\d):(\d\d) (?:([A-Za-z]{2,6}|[+-]\d\d(?:\d\d)?) )?(\d{4})/
            ),
            Self.weekdays.contains(String(m.1)), let month = Self.months.firstIndex(of: String(m.2)),
            let day = Int(m.3.trimmingPrefix(" ")), Self.valid(Int(m.8), month + 1, day, Int(m.4), Int(m.5), Int(m.6))
        else { return nil }
        return Reading(format: m.7 == nil ? "ctime" : "date(1)", unixTime: nil)
    }

    static func rfc3339(_ line: String) -> Reading? {
        guard
            let m = line.wholeMatch(
                of: /(\d{4})-(\d\d)-(\d\d)[Tt ](\d\d):(\d\d):(\d\d)(?:\.\d+)?(?:([Zz])|([+-])(\d\d):(\d\d))/
            ),
            let year = Int(m.1), let month = Int(m.2), let day = Int(m.3), let hour = Int(m.4),
            let minute = Int(m.5), let second = Int(m.6), Self.valid(year, month, day, hour, minute, second)
        else { return nil }
        var offset = 0
        if m.7 == nil, let sign = m.8, let hours = m.9.flatMap({ Int($0) }), let minutes = m.10.flatMap({ Int($0) }) {
            offset = (sign == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
        }
        return Reading(
            format: "RFC 3339",
            unixTime: Self.unix(year, month, day, hour, minute, second) - Int64(offset)
        )
    }

    static func rfc2822(_ line: String) -> Reading? {
        guard
            let m = line.wholeMatch(
                of: /(?:(\w{3}), )?(\d{1,2}) (\w{3}) (\d{4}) (\d\d):(\d\d)(?::(\d\d))? ([+-])(\d\d)(\d\d)/
            ),
            m.1.map({ Self.weekdays.contains(String($0)) }) ?? true,
            let month = Self.months.firstIndex(of: String(m.3)), let day = Int(m.2), let year = Int(m.4),
            let hour = Int(m.5), let minute = Int(m.6), let hours = Int(m.9), let minutes = Int(m.10)
        else { return nil }
        let second = m.7.flatMap { Int($0) } ?? 0
        guard Self.valid(year, month + 1, day, hour, minute, second) else { return nil }
        let offset = (m.8 == "-" ? -1 : 1) * (hours * 3600 + minutes * 60)
        return Reading(
            format: "RFC 2822",
            unixTime: Self.unix(year, month + 1, day, hour, minute, second) - Int64(offset)
        )
    }

    /// NIST's ACTS: `61010 25-12-01 21:00:00 00 0 0 722.5 UTC(NIST) *`, in UTC.
    static func nist(_ line: String) -> Reading? {
        guard
            let m = line.wholeMatch(
                of: /\d{5} (\d\d)-(\d\d)-(\d\d) (\d\d):(\d\d):(\d\d) \d\d \d \d +[\d.]+ UTC\(NIST\) [*#]/
            ),
            let year = Int(m.1).map({ 2000 + $0 }), let month = Int(m.2), let day = Int(m.3), let hour = Int(m.4),
            let minute = Int(m.5), let second = Int(m.6), Self.valid(year, month, day, hour, minute, second)
        else { return nil }
        return Reading(format: "NIST ACTS", unixTime: Self.unix(year, month, day, hour, minute, second))
    }

    static func valid(_ year: Int?, _ month: Int, _ day: Int, _ hour: Int?, _ minute: Int?, _ second: Int?) -> Bool {
        guard let year, let hour, let minute, let second, (1...12).contains(month), (0...23).contains(hour),
            (0...59).contains(minute), (0...60).contains(second)
        else { return false }
        let leap = year % 4 == 0 && (year % 100 != 0 || year % 400 == 0)
        let days = [31, leap ? 29 : 28, 31, 30, 31, 30, 31, 31, 30, 31, 30, 31][month - 1]
        return (1...days).contains(day)
    }

    /// Seconds since 1970 of a UTC civil time (Howard Hinnant's days_from_civil).
    static func unix(_ year: Int, _ month: Int, _ day: Int, _ hour: Int, _ minute: Int, _ second: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = (y >= 0 ? y : y - 399) / 400
        let yearOfEra = y - era * 400
        let m = Int64(month)
        let dayOfYear = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let dayOfEra = yearOfEra * 365 + yearOfEra / 4 - yearOfEra / 100 + dayOfYear
        let days = era * 146_097 + dayOfEra - 719_468
        return days * 86400 + Int64(hour * 3600 + minute * 60 + second)
    }
}
