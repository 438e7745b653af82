// daytime, RFC 867: one line of the current date and time. TCP sends it and closes; UDP answers every datagram,
// empty ones included. "There is no specific syntax": the default is the BSD ctime form every inetd sends,
// `Wed Nov 25 00:04:48 2026\r\n`; the `format` and `zone` options choose others.
import NIOCore
import Synchronization
import WellKnownCalendar

extension ServiceDescriptor {
    public static let daytime = ServiceDescriptor(
        name: "daytime",
        rfc: 867,
        wellKnownPort: 13,
        summary: "sends one line with the date and time",
        options: [.daytimeFormat, .daytimeZone]
    ) { options, environment throws(ServiceOptionError) in
        let formatName = options.value(of: .daytimeFormat)
        guard let format = DaytimeFormat(rawValue: formatName) else {
            throw ServiceOptionError(key: "format", message: "unknown daytime format '\(formatName)'")
        }
        let zoneName = options.value(of: .daytimeZone)
        guard let zone = environment.timeZone(zoneName) else {
            throw ServiceOptionError(
                key: "zone",
                message: "unknown time zone '\(zoneName)' (use local, UTC or an IANA name such as Europe/Paris)"
            )
        }
        let reply = DaytimeReply(format: format, zone: zone, clock: environment.clock)
        return .singleReply(name: "daytime", reply)
    }
}

extension ServiceOption {
    public static let daytimeFormat = ServiceOption(
        key: "format",
        summary: "ctime (BSD inetd), rfc3339, rfc2822 or date (like date(1))",
        allowedValues: DaytimeFormat.allCases.map(\.rawValue),
        defaultValue: DaytimeFormat.ctime.rawValue
    )

    public static let daytimeZone = ServiceOption(
        key: "zone",
        summary: "local (the system's zone), UTC, or an IANA zone name such as Europe/Paris",
        allowedValues: nil,
        defaultValue: "local"
    )
}

public enum DaytimeFormat: String, CaseIterable, Sendable {
    /// `Wed Nov 25 00:04:48 2026`: ctime(3) without its newline, day of month space-padded, no zone.
    case ctime
    /// `2026-11-25T00:04:48Z`, or `…T01:04:48+01:00` away from UTC.
    case rfc3339
    /// `Wed, 25 Nov 2026 00:04:48 +0000`
    case rfc2822
    /// `Wed Nov 25 00:04:48 UTC 2026`, as date(1) prints it.
    case date

    /// The daytime line for `time` in a zone at `offset`, CRLF included.
    public func line(for time: WallClockTime, offset: UTCOffset) -> [UInt8] {
        let civil = CivilTime(secondsSinceEpoch: time.secondsSinceEpoch + Int64(offset.seconds))
        var out = ASCIIWriter(capacity: 48)
        let weekday = CivilTime.weekdayAbbreviations[civil.weekday]
        let month = CivilTime.monthAbbreviations[civil.month - 1]
        switch self {
        case .ctime, .date:
            out.append(weekday)
            out.append(" ")
            out.append(month)
            out.append(" ")
            out.append(civil.day, width: 2, pad: UInt8(ascii: " "))
            out.append(" ")
            out.appendClock(civil)
            out.append(" ")
            if self == .date {
                out.append(offset.abbreviation)
                out.append(" ")
            }
            out.append(civil.year, width: 4)
        case .rfc3339:
            out.appendISO8601(civil)
            if offset.seconds == 0 {
                out.append("Z")
            } else {
                Self.appendOffset(offset.seconds, to: &out, separator: ":")
            }
        case .rfc2822:
            out.append(weekday)
            out.append(", ")
            out.append(civil.day, width: 2)
            out.append(" ")
            out.append(month)
            out.append(" ")
            out.append(civil.year, width: 4)
            out.append(" ")
            out.appendClock(civil)
            out.append(" ")
            Self.appendOffset(offset.seconds, to: &out, separator: "")
        }
        out.append("\r\n")
        return out.bytes
    }

    private static func appendOffset(_ seconds: Int, to out: inout ASCIIWriter, separator: String) {
        out.append(seconds < 0 ? "-" : "+")
        let minutes = abs(seconds) / 60
        out.append(minutes / 60, width: 2)
        out.append(separator)
        out.append(minutes % 60, width: 2)
    }
}

public struct DaytimeReply: ReplyProducer, Sendable {
    public let format: DaytimeFormat
    public let zone: any TimeZoneRules
    public let clock: WallClock
    private let lastLine = LastLine()

    public init(format: DaytimeFormat, zone: any TimeZoneRules, clock: WallClock) {
        self.format = format
        self.zone = zone
        self.clock = clock
    }

    public mutating func reply(to request: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard let now = self.clock.now() else { return nil }
        return self.lastLine.line(for: now.secondsSinceEpoch) {
            let line = self.format.line(
                for: now,
                offset: self.zone.offset(atSecondsSinceEpoch: now.secondsSinceEpoch)
            )
            var buffer = allocator.buffer(capacity: line.count)
            buffer.writeBytes(line)
            return buffer
        }
    }
}

/// The line of the second last served. It only changes once a second, and formatting it with the zone's offset
/// cost more than the rest of a TCP answer under load (bench/PROFILES.md). Every copy of a producer shares it, on
/// every event loop; a line is handed out as a shared, copy-on-write buffer.
final class LastLine: Sendable {
    private let cached = Mutex<(second: Int64, line: ByteBuffer)?>(nil)

    func line(for second: Int64, make: () -> ByteBuffer) -> ByteBuffer {
        if let hit = self.cached.withLock({ $0?.second == second ? $0?.line : nil }) {
            return hit
        }
        let line = make()
        self.cached.withLock { $0 = (second, line) }
        return line
    }
}
