// Calendar arithmetic without Foundation: the proleptic Gregorian date and time of day for a count of seconds,
// after Howard Hinnant's days_from_civil / civil_from_days. Used for daytime lines and the daemon's log stamps.

public struct CivilTime: Sendable, Hashable {
    public var year: Int
    /// 1...12
    public var month: Int
    /// 1...31
    public var day: Int
    public var hour: Int
    public var minute: Int
    public var second: Int
    /// 0 = Sunday ... 6 = Saturday
    public var weekday: Int

    /// The civil time `secondsSinceEpoch` seconds after 1970-01-01T00:00:00 (add the zone offset first for local
    /// time).
    public init(secondsSinceEpoch: Int64) {
        let secondsPerDay: Int64 = 86_400
        var days = secondsSinceEpoch / secondsPerDay
        var secondOfDay = secondsSinceEpoch % secondsPerDay
        if secondOfDay < 0 {
            secondOfDay += secondsPerDay
            days -= 1
        }
        self.hour = Int(secondOfDay / 3600)
        self.minute = Int(secondOfDay % 3600 / 60)
        self.second = Int(secondOfDay % 60)
        // 1970-01-01 was a Thursday.
        let weekday = (days + 4) % 7
        self.weekday = Int(weekday < 0 ? weekday + 7 : weekday)

        let shifted = days + 719_468  // days since 0000-03-01
        let era = (shifted >= 0 ? shifted : shifted - 146_096) / 146_097
        let dayOfEra = shifted - era * 146_097
        let yearOfEra = (dayOfEra - dayOfEra / 1460 + dayOfEra / 36524 - dayOfEra / 146_096) / 365
        let dayOfYear = dayOfEra - (365 * yearOfEra + yearOfEra / 4 - yearOfEra / 100)
        let monthFromMarch = (5 * dayOfYear + 2) / 153
        self.day = Int(dayOfYear - (153 * monthFromMarch + 2) / 5 + 1)
        self.month = Int(monthFromMarch < 10 ? monthFromMarch + 3 : monthFromMarch - 9)
        self.year = Int(yearOfEra + era * 400) + (self.month <= 2 ? 1 : 0)
    }

    public static let weekdayAbbreviations = ["Sun", "Mon", "Tue", "Wed", "Thu", "Fri", "Sat"]
    public static let monthAbbreviations = [
        "Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec",
    ]
}

/// Appends ASCII text to a byte array: the fields of a date line, without Foundation's formatters.
public struct ASCIIWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    public mutating func append(_ text: String) {
        self.bytes.append(contentsOf: text.utf8)
    }

    public mutating func append(byte: UInt8) {
        self.bytes.append(byte)
    }

    /// `value` in decimal, left-padded with `pad` to at least `width` digits (negative values get a '-').
    public mutating func append(_ value: Int, width: Int, pad: UInt8 = UInt8(ascii: "0")) {
        var magnitude = value.magnitude
        var digits: [UInt8] = []
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        if value < 0 {
            self.bytes.append(UInt8(ascii: "-"))
        }
        if digits.count < width {
            self.bytes.append(contentsOf: repeatElement(pad, count: width - digits.count))
        }
        self.bytes.append(contentsOf: digits.reversed())
    }
}

extension ASCIIWriter {
    /// `00:04:48`
    public mutating func appendClock(_ civil: CivilTime) {
        self.append(civil.hour, width: 2)
        self.append(":")
        self.append(civil.minute, width: 2)
        self.append(":")
        self.append(civil.second, width: 2)
    }

    /// `2026-11-25T00:04:48`: the date and time of RFC 3339 without fraction or offset.
    public mutating func appendISO8601(_ civil: CivilTime) {
        self.append(civil.year, width: 4)
        self.append("-")
        self.append(civil.month, width: 2)
        self.append("-")
        self.append(civil.day, width: 2)
        self.append("T")
        self.appendClock(civil)
    }
}
