import Logging

/// The fields of a hot record (one per connection, one per datagram), which `WellKnownLogHandler` writes straight
/// into the line in both formats: no metadata dictionary to hash, no `String` per value. Such a record travels as the
/// single metadata entry `LogRecord.key`; any other log handler still gets readable text from `description`.
///
/// A daemon that logs a line per datagram spends most of its logging time building and hashing metadata; this
/// cuts the cost of a datagram line (bench/PROFILES.md).
public protocol LogRecordFields: CustomStringConvertible, Sendable {
    func write(to fields: inout LogFieldWriter)
}

enum LogRecord {
    static let key = "fields"
}

extension LogRecordFields {
    public var description: String {
        var writer = LogFieldWriter(format: .text, out: LogBytes())
        self.write(to: &writer)
        return String(decoding: writer.out.bytes.drop(while: { $0 == UInt8(ascii: " ") }), as: UTF8.self)
    }

    /// As metadata for `Logger`: `logger.info("connection", metadata: record.metadata)`.
    public var metadata: Logger.Metadata { [LogRecord.key: .stringConvertible(TypedLogRecordBox(self))] }
}
