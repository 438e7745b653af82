import Logging
import NIOCore

/// The fields of a hot record (one per connection, one per datagram), which `WellKnownLogHandler` writes straight
/// into the line in both formats: no metadata dictionary to hash, no `String` per value. Such a record travels as the
/// single metadata entry `LogRecord.key`; any other log handler still gets readable text from `description`.
///
/// A daemon that logs a line per datagram spends most of its logging time building and hashing metadata; this
/// halves the cost of a datagram line (see the README's Benchmarks).
protocol LogRecordFields: CustomStringConvertible, Sendable {
    func write(to fields: inout LogFieldWriter)
}

enum LogRecord {
    static let key = "fields"
}

extension LogRecordFields {
    var description: String {
        var writer = LogFieldWriter(format: .text, out: [])
        self.write(to: &writer)
        return String(decoding: writer.out.drop(while: { $0 == UInt8(ascii: " ") }), as: UTF8.self)
    }

    /// As metadata for `Logger`: `logger.info("connection", metadata: record.metadata)`.
    var metadata: Logger.Metadata { [LogRecord.key: .stringConvertible(TypedLogRecordBox(self))] }
}

/// How the recorders log socket-pair records. With wellknownd's own handler behind the logger, and no metadata of
/// its own to merge, a record goes straight to the handler's sink: swift-log's path builds a metadata dictionary
/// (hashing its key), a box and a `LogEvent` for every line, about a sixth of an event loop's time per datagram in a
/// profile of UDP echo. With any other handler (the tests' among them) the record goes through swift-log as
/// `record.metadata`.
struct RecordLog: Sendable {
    let logger: Logger
    private let direct: WellKnownLogHandler?

    init(_ logger: Logger) {
        self.logger = logger
        if let handler = logger.handler as? WellKnownLogHandler, handler.metadata.isEmpty,
            handler.metadataProvider == nil
        {
            self.direct = handler
        } else {
            self.direct = nil
        }
    }

    /// Whether records skip swift-log's metadata path.
    var isDirect: Bool { self.direct != nil }

    /// Logs `record` at info level; it is built only if the line is logged.
    func info(_ message: Logger.Message, _ record: @autoclosure () -> some LogRecordFields) {
        if let direct = self.direct {
            if direct.logLevel <= .info {
                direct.log(message, record: record())
            }
        } else {
            self.logger.info(message, metadata: record().metadata)
        }
    }
}

/// A record as it travels in the metadata: a class, so that the handler recognises it with a class cast. A cast of
/// the metadata value to `any LogRecordFields` looked the conformance up in the runtime's cache on every line
/// (1–2 % of the daemon's time under UDP load). The typed subclass holds the record itself, so boxing costs the one
/// allocation the metadata value's existential cost before.
class LogRecordBox: LogRecordFields, @unchecked Sendable {  // unchecked: subclasses hold one immutable record
    func write(to fields: inout LogFieldWriter) {}
}

final class TypedLogRecordBox<Record: LogRecordFields>: LogRecordBox, @unchecked Sendable {
    let record: Record

    init(_ record: Record) {
        self.record = record
    }

    override func write(to fields: inout LogFieldWriter) {
        self.record.write(to: &fields)
    }
}

/// Appends `key=value` (text, logfmt) or `,"key":value` (JSON) to a line under construction.
struct LogFieldWriter {
    let format: LogFormat
    var out: [UInt8]

    private mutating func key(_ key: StaticString) {
        switch self.format {
        case .text:
            self.out.append(UInt8(ascii: " "))
            self.out.appendLiteral(key)
            self.out.append(UInt8(ascii: "="))
        case .json:
            self.out.appendLiteral(",\"")
            self.out.appendLiteral(key)
            self.out.appendLiteral("\":")
        }
    }

    /// Any text: quoted and escaped where it has to be.
    mutating func string(_ key: StaticString, _ value: String) {
        self.key(key)
        switch self.format {
        case .text: WellKnownLogHandler.appendLogfmtValue(value, to: &self.out)
        case .json: WellKnownLogHandler.appendJSONString(value, to: &self.out)
        }
    }

    /// A word known to need no quoting or escaping (`tcp`, `client`, `sent`).
    mutating func token(_ key: StaticString, _ value: String) {
        self.key(key)
        if self.format == .json { self.out.append(UInt8(ascii: "\"")) }
        self.out.append(contentsOf: value.utf8)
        if self.format == .json { self.out.append(UInt8(ascii: "\"")) }
    }

    mutating func int(_ key: StaticString, _ value: Int) {
        self.key(key)
        self.out.appendDecimal(value)
    }

    /// Seconds with four decimals, a number in JSON: `0.0003`.
    mutating func seconds(_ key: StaticString, _ amount: TimeAmount) {
        self.key(key)
        self.out.appendSeconds(nanoseconds: amount.nanoseconds)
    }

    /// `127.0.0.1:53422` or `[::1]:6013` (v4-mapped addresses unmapped), `port` replacing the address's own; paths
    /// and the rest through `string`.
    mutating func address(_ key: StaticString, _ address: SocketAddress?, port: Int? = nil) {
        guard let address else {
            self.token(key, "?")
            return
        }
        guard let ipv4 = address.ipv4Value else {
            self.string(key, address.logDescription(port: port ?? address.port ?? 0))
            return
        }
        self.key(key)
        if self.format == .json { self.out.append(UInt8(ascii: "\"")) }
        self.out.appendDottedQuad(ipv4, port: port ?? address.port ?? 0)
        if self.format == .json { self.out.append(UInt8(ascii: "\"")) }
    }
}
