import Logging
import WellKnownCalendar

/// A log event as the handler hands it to the `LogSink`: everything the line needs, the time included, so that
/// the sink's writer thread can format it off the event loop.
struct PendingLine: Sendable {
    let level: Logger.Level
    let message: Logger.Message
    let metadata: Logger.Metadata
    let record: (any LogRecordFields)?
    let format: LogFormat
    let journal: Bool
    let time: WallClockTime?

    func append(to out: inout LogBytes) {
        LogLineFormatter.formatLine(
            level: self.level,
            message: self.message.description,
            metadata: self.metadata,
            record: self.record,
            format: self.format,
            journal: self.journal,
            time: self.time,
            into: &out
        )
    }
}
