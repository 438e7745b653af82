import Logging

/// How the recorders log socket-pair records. With wellknownd's own handler behind the logger, and no metadata of
/// its own to merge, a record goes straight to the handler's sink: swift-log's path builds a metadata dictionary
/// (hashing its key), a box and a `LogEvent` for every line, a large share of an event loop's time per datagram in a
/// profile of UDP echo (bench/PROFILES.md). With any other handler (the tests' among them) the record goes through
/// swift-log as `record.metadata`.
public struct RecordLog: Sendable {
    public let logger: Logger
    let direct: WellKnownLogHandler?

    public init(_ logger: Logger) {
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
    public var isDirect: Bool { self.direct != nil }

    /// Logs `record` at info level; it is built only if the line is logged.
    public func info(_ message: Logger.Message, _ record: @autoclosure () -> some LogRecordFields) {
        if let direct = self.direct {
            if direct.logLevel <= .info {
                direct.log(message, record: record())
            }
        } else {
            self.logger.info(message, metadata: record().metadata)
        }
    }
}
