import Logging
import NIOPosix
import WellKnownCalendar

/// The text of one log line, logfmt or JSON, written into a byte buffer without Foundation. Pure, and run by the
/// `LogSink`'s writer thread: the event loops only queue what a line needs.
public enum LogLineFormatter {

    /// Keys that come first, in this order, so that lines of one kind line up: service, proto, client, server,
    /// duration, bytes_in, bytes_out, end, reply; the rest follow sorted. A `switch`, so no hashing per line.
    private static func rank(_ key: String) -> Int {
        switch key {
        case "service": return 0
        case "proto": return 1
        case "client": return 2
        case "server": return 3
        case "duration": return 4
        case "bytes_in": return 5
        case "bytes_out": return 6
        case "end": return 7
        case "reply": return 8
        default: return 9
        }
    }

    /// The socket-pair record among `metadata`, if any. Alone (the hot path: a connection or datagram line) it is
    /// the first entry, found without hashing.
    private static func record(in metadata: Logger.Metadata) -> (any LogRecordFields)? {
        let value =
            metadata.count == 1
            ? metadata.first.flatMap { $0.key == LogRecord.key ? $0.value : nil } : metadata[LogRecord.key]
        guard case .stringConvertible(let fields)? = value else { return nil }
        return fields as? LogRecordBox
    }

    /// The entries of `metadata` in line order: the known keys drop into their slots, only the others are sorted.
    private static func ordered(_ metadata: Logger.Metadata) -> [(key: String, value: Logger.Metadata.Value)] {
        var slots: [(key: String, value: Logger.Metadata.Value)?] = Array(repeating: nil, count: 9)
        var rest: [(key: String, value: Logger.Metadata.Value)] = []
        for (key, value) in metadata {
            let rank = Self.rank(key)
            if rank < slots.count {
                slots[rank] = (key, value)
            } else {
                rest.append((key, value))
            }
        }
        if rest.count > 1 {
            rest.sort { $0.key < $1.key }
        }
        return slots.compactMap { $0 } + rest
    }

    static func formatLine(
        level: Logger.Level,
        message: String,
        metadata: Logger.Metadata,
        format: LogFormat,
        journal: Bool,
        time: WallClockTime?
    ) -> [UInt8] {
        var out = LogBytes()
        Self.formatLine(
            level: level,
            message: message,
            metadata: metadata,
            format: format,
            journal: journal,
            time: time,
            into: &out
        )
        return out.bytes
    }

    /// Appends the line, newline included, to `out`. `record`: a socket-pair record given apart from the metadata
    /// (one among the metadata is found there too).
    static func formatLine(
        level: Logger.Level,
        message: String,
        metadata: Logger.Metadata,
        record explicitRecord: (any LogRecordFields)? = nil,
        format: LogFormat,
        journal: Bool,
        time: WallClockTime?,
        into out: inout LogBytes
    ) {
        Self.appendHead(level: level, message: message, format: format, journal: journal, time: time, to: &out)
        let found = metadata.isEmpty ? nil : Self.record(in: metadata)
        let record = explicitRecord ?? found
        var entries = metadata.isEmpty || (metadata.count == 1 && found != nil) ? [] : Self.ordered(metadata)
        if found != nil {
            entries.removeAll { $0.key == LogRecord.key }
        }
        if let record {
            var writer = LogFieldWriter(format: format, out: out)
            record.write(to: &writer)
        }
        switch format {
        case .text:
            for (key, value) in entries {
                out.append(UInt8(ascii: " "))
                out.append(contentsOf: key.utf8)
                out.append(UInt8(ascii: "="))
                Self.appendLogfmtValue(Self.flatten(value), to: &out)
            }
        case .json:
            for (key, value) in entries {
                out.append(UInt8(ascii: ","))
                Self.appendJSONString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                Self.appendJSONValue(value, to: &out)
            }
        }
        Self.appendClosing(format: format, to: out)
    }

    /// A line of one record and nothing else (`RecordBatch`), the same as `formatLine` makes of it, but generic: the
    /// record is not boxed as an existential on its way, which cost every line an allocation and its release.
    static func formatRecordLine(
        level: Logger.Level,
        message: String,
        record: some LogRecordFields,
        format: LogFormat,
        journal: Bool,
        time: WallClockTime?,
        into out: inout LogBytes
    ) {
        Self.appendHead(level: level, message: message, format: format, journal: journal, time: time, to: &out)
        var writer = LogFieldWriter(format: format, out: out)
        record.write(to: &writer)
        Self.appendClosing(format: format, to: out)
    }

    /// Everything before a line's fields: the opening, the timestamp if there is one, the level and the message.
    /// Inlined: every line runs it, and as a call it cost a daytime connection about a hundred instructions.
    @inline(__always)
    private static func appendHead(
        level: Logger.Level,
        message: String,
        format: LogFormat,
        journal: Bool,
        time: WallClockTime?,
        to out: inout LogBytes
    ) {
        Self.appendOpening(level: level, format: format, journal: journal, timed: time != nil, to: out)
        if let time {
            Self.appendTimestamp(time, to: &out)
        }
        Self.appendLevel(level, message: message, format: format, timed: time != nil, to: out)
    }

    /// What comes before the timestamp (`timed`) or the level: the journal's priority, `ts=` or `{"ts":"`. With
    /// `appendLevel` and `appendClosing`, the frame of every line, shared with lines cut into a template
    /// (`DatagramLine`).
    public static func appendOpening(
        level: Logger.Level,
        format: LogFormat,
        journal: Bool,
        timed: Bool,
        to out: LogBytes
    ) {
        var out = out
        if journal {
            out.append(UInt8(ascii: "<"))
            out.appendDecimal(level.syslogPriority)
            out.append(UInt8(ascii: ">"))
        }
        switch format {
        case .text:
            if timed {
                out.appendLiteral("ts=")
            }
        case .json:
            out.append(UInt8(ascii: "{"))
            if timed {
                out.appendLiteral("\"ts\":\"")
            }
        }
    }

    /// The level and the message, after the timestamp when the line is `timed`; the record's fields follow.
    public static func appendLevel(
        _ level: Logger.Level,
        message: String,
        format: LogFormat,
        timed: Bool,
        to out: LogBytes
    ) {
        var out = out
        switch format {
        case .text:
            if timed {
                out.append(UInt8(ascii: " "))
            }
            out.appendLiteral("level=")
            out.appendLiteral(level.literal)
            out.appendLiteral(" msg=")
            Self.appendLogfmtValue(message, to: &out)
        case .json:
            if timed {
                out.appendLiteral("\",")
            }
            out.appendLiteral("\"level\":\"")
            out.appendLiteral(level.literal)
            out.appendLiteral("\",\"msg\":")
            Self.appendJSONString(message, to: &out)
        }
    }

    /// The end of a line, after its fields.
    public static func appendClosing(format: LogFormat, to out: LogBytes) {
        if format == .json {
            out.append(UInt8(ascii: "}"))
        }
        out.append(UInt8(ascii: "\n"))
    }

    /// `2026-11-27T05:10:00.123Z`, through this thread's `LogTimestamps`.
    static func appendTimestamp(_ time: WallClockTime, to out: inout LogBytes) {
        let slot =
            Self.timestamps.currentValue
            ?? {
                let fresh = ThreadTimestamps()
                Self.timestamps.currentValue = fresh
                return fresh
            }()
        slot.timestamps.append(time, to: out)
    }

    /// Unchecked: each instance lives in one thread's slot and is only ever touched by that thread.
    private final class ThreadTimestamps: @unchecked Sendable {
        let timestamps = LogTimestamps()
    }

    private static let timestamps = ThreadSpecificVariable<ThreadTimestamps>()

    private static func flatten(_ value: Logger.Metadata.Value) -> String {
        switch value {
        case .string(let s): return s
        case .stringConvertible(let c): return c.description
        case .array(let a): return a.map(Self.flatten).joined(separator: ",")
        case .dictionary(let d):
            return d.keys.sorted().map { "\($0):\(Self.flatten(d[$0] ?? ""))" }.joined(separator: ",")
        }
    }

    /// Bare when the value has no space, quote, equals sign or control character; quoted and escaped otherwise.
    static func appendLogfmtValue(_ value: String, to out: inout LogBytes) {
        // Native strings are contiguous UTF-8: scanned and copied as bytes, not through the generic UTF8View.
        let bare = value.utf8.withContiguousStorageIfAvailable { bytes -> Bool in
            guard !bytes.isEmpty, !bytes.contains(where: Self.needsQuoting) else { return false }
            out.append(contentsOf: bytes)
            return true
        }
        switch bare {
        case true?:
            return
        case false?:
            Self.appendJSONString(value, to: &out)
        case nil:
            if value.isEmpty || value.utf8.contains(where: Self.needsQuoting) {
                Self.appendJSONString(value, to: &out)
            } else {
                out.append(contentsOf: value.utf8)
            }
        }
    }

    private static func needsQuoting(_ byte: UInt8) -> Bool {
        byte <= 0x20 || byte == UInt8(ascii: "\"") || byte == UInt8(ascii: "=") || byte == 0x7F
    }

    static func appendJSONString(_ value: String, to out: inout LogBytes) {
        out.append(UInt8(ascii: "\""))
        for byte in value.utf8 {
            switch byte {
            case UInt8(ascii: "\""): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\"")])
            case UInt8(ascii: "\\"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "\\")])
            case UInt8(ascii: "\n"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "n")])
            case UInt8(ascii: "\r"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "r")])
            case UInt8(ascii: "\t"): out.append(contentsOf: [UInt8(ascii: "\\"), UInt8(ascii: "t")])
            case 0..<0x20, 0x7F:
                let hex = Array("0123456789abcdef".utf8)
                out.append(contentsOf: [
                    UInt8(ascii: "\\"), UInt8(ascii: "u"), UInt8(ascii: "0"), UInt8(ascii: "0"),
                    hex[Int(byte >> 4)], hex[Int(byte & 0xF)],
                ])
            default: out.append(byte)
            }
        }
        out.append(UInt8(ascii: "\""))
    }

    private static func appendJSONValue(_ value: Logger.Metadata.Value, to out: inout LogBytes) {
        switch value {
        case .string(let s):
            Self.appendJSONString(s, to: &out)
        case .stringConvertible(let c):
            // Counts and durations are numbers in JSON; anything else is a string.
            if c is any BinaryInteger || c is LogSeconds || (c as? Double)?.isFinite == true {
                out.append(contentsOf: c.description.utf8)
            } else {
                Self.appendJSONString(c.description, to: &out)
            }
        case .array(let a):
            out.append(UInt8(ascii: "["))
            for (i, element) in a.enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.appendJSONValue(element, to: &out)
            }
            out.append(UInt8(ascii: "]"))
        case .dictionary(let d):
            out.append(UInt8(ascii: "{"))
            for (i, key) in d.keys.sorted().enumerated() {
                if i > 0 { out.append(UInt8(ascii: ",")) }
                Self.appendJSONString(key, to: &out)
                out.append(UInt8(ascii: ":"))
                Self.appendJSONValue(d[key] ?? "", to: &out)
            }
            out.append(UInt8(ascii: "}"))
        }
    }
}
