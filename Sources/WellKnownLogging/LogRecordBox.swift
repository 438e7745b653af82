/// A record as it travels in the metadata: a class, so that the handler recognises it with a class cast. A cast of
/// the metadata value to `any LogRecordFields` looks the conformance up in the runtime's cache on every line, which
/// showed in profiles under UDP load (bench/PROFILES.md). The typed subclass holds the record itself, so boxing costs
/// the one allocation the metadata value's existential cost before.
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
