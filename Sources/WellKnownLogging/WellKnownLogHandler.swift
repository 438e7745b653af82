import Logging

/// wellknownd's swift-log handler: one line per record, formatted without Foundation by the `LogSink`'s writer
/// thread (the logging thread only reads the clock and queues the event).
///
/// Under systemd (`JOURNAL_STREAM` names our stderr) each line starts with its syslog priority, `<6>` for info,
/// so that journald keeps the level, and the timestamp is left to the journal.
public struct WellKnownLogHandler: LogHandler {
    public var logLevel: Logger.Level
    public var metadata: Logger.Metadata = [:]
    public var metadataProvider: Logger.MetadataProvider?

    private let label: String
    let format: LogFormat
    let journal: Bool
    let sink: LogSink

    public init(label: String, sink: LogSink, format: LogFormat, level: Logger.Level, journal: Bool) {
        self.label = label
        self.sink = sink
        self.format = format
        self.logLevel = level
        self.journal = journal
    }

    public subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    public func log(event: LogEvent) {
        var merged: Logger.Metadata
        if self.metadata.isEmpty, self.metadataProvider == nil {
            merged = event.metadata ?? [:]  // the usual case: no copy, no merge
        } else {
            merged = self.metadata
            if let provided = self.metadataProvider?.get() {
                merged.merge(provided) { $1 }
            }
            if let extra = event.metadata {
                merged.merge(extra) { $1 }
            }
        }
        // Formatted later, by the sink's writer thread: the event loop only takes the time and queues the event.
        self.sink.write(
            PendingLine(
                level: event.level,
                message: event.message,
                metadata: merged,
                record: nil,
                format: self.format,
                journal: self.journal,
                time: self.journal ? nil : LogTimestamps.now()
            )
        )
    }

    /// A socket-pair record at info level, straight to the sink: no metadata dictionary, no `LogEvent`. For
    /// `RecordLog`, which only calls it when this handler has no metadata of its own to merge.
    func log(_ message: Logger.Message, record: some LogRecordFields) {
        guard self.logLevel <= .info else { return }
        self.sink.write(
            PendingLine(
                level: .info,
                message: message,
                metadata: [:],
                record: record,
                format: self.format,
                journal: self.journal,
                time: self.journal ? nil : LogTimestamps.now()
            )
        )
    }
}
