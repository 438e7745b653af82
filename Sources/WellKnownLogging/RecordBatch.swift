import Logging

/// The socket-pair records of one burst (the datagrams of one recvmmsg), formatted on the spot into one buffer and
/// handed to the sink in one piece by `flush()`. Queued one by one (`RecordLog.info`), every line is a
/// `PendingLine` with its record boxed, a lock, and a copy and a release on the writer thread, which together cost
/// a datagram about two thirds of what formatting its line does (bench/PROFILES.md). For one thread: a
/// `DatagramLoop`'s.
/// With any handler but wellknownd's own, records go through `RecordLog` as before.
public final class RecordBatch {
    private let log: RecordLog
    /// wellknownd's handler, in pieces: a copy of the handler struct per line cost its retains and releases.
    private let sink: LogSink?
    private let format: LogFormat
    private let journal: Bool
    private let logsInfo: Bool
    /// `lineFormat != nil`, kept: reading `sink` to work it out cost every line a retain and a release.
    private let takesLines: Bool
    private let lines = LogBytes(capacity: 16 << 10)
    /// Lines in `lines`: the sink bounds what waits by lines, not by pieces.
    private var count = 0

    public init(_ log: RecordLog) {
        self.log = log
        self.sink = log.direct?.sink
        self.format = log.direct?.format ?? .text
        self.journal = log.direct?.journal ?? false
        self.logsInfo = (log.direct?.logLevel ?? .info) <= .info
        self.takesLines = self.sink != nil && self.logsInfo
    }

    /// Logs `record` at info level; it is built only if the line is logged.
    public func info(_ message: Logger.Message, _ record: @autoclosure () -> some LogRecordFields) {
        guard self.sink != nil else {
            self.log.info(message, record())
            return
        }
        guard self.logsInfo else { return }
        var lines = self.lines
        LogLineFormatter.formatRecordLine(
            level: .info,
            message: message.description,
            record: record(),
            format: self.format,
            journal: self.journal,
            time: self.journal ? nil : LogTimestamps.now(),
            into: &lines
        )
        self.count += 1
    }

    /// How lines look when they can be written whole by the caller (`lineBuffer`): with wellknownd's own handler
    /// logging info lines; nil with any other handler, or when info lines are not logged.
    public var lineFormat: (format: LogFormat, journal: Bool)? {
        self.takesLines ? (self.format, self.journal) : nil
    }

    /// Where whole lines, newline included, are written by the caller (a line template: `DatagramLine`) for `flush`
    /// to hand over with the others, each followed by `lineAppended()`; nil when `lineFormat` is. Taken once per
    /// burst, it spares every line the closure and the retains and releases of its captures that an
    /// `appendLine(_:)` taking a closure cost (bench/HISTORY.md).
    public var lineBuffer: LogBytes? { self.takesLines ? self.lines : nil }

    /// Counts a whole line written into `lineBuffer`.
    public func lineAppended() {
        self.count += 1
    }

    /// Hands the lines formatted since the last flush to the sink.
    public func flush() {
        guard let sink = self.sink, self.count > 0 else { return }
        sink.write(self.lines.bytes, lines: self.count)
        self.lines.removeAll()
        self.count = 0
    }
}
