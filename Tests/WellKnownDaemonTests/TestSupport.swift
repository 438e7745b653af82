import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing
import WellKnownConfig
import WellKnownServices

@testable import WellKnownDaemon
@testable import WellKnownLogging

#if canImport(Glibc)
import Glibc
#endif

/// Keeps every record so that tests can read what would have been logged.
final class CapturedLogs: Sendable {
    struct Record: Sendable {
        let level: Logger.Level
        let message: String
        let metadata: [String: String]
    }

    private let records = NIOLockedValueBox<[Record]>([])

    var all: [Record] { self.records.withLockedValue { $0 } }

    func logger() -> Logger {
        Logger(label: "test") { _ in CapturingHandler(logs: self) }
    }

    fileprivate func append(_ record: Record) {
        self.records.withLockedValue { $0.append(record) }
    }
}

private struct CapturingHandler: LogHandler {
    let logs: CapturedLogs
    var metadata: Logger.Metadata = [:]
    var logLevel: Logger.Level = .trace

    subscript(metadataKey key: String) -> Logger.Metadata.Value? {
        get { self.metadata[key] }
        set { self.metadata[key] = newValue }
    }

    func log(event: LogEvent) {
        self.logs.append(
            .init(
                level: event.level,
                message: "\(event.message)",
                metadata: Self.flatten(event.metadata ?? [:])
            )
        )
    }

    /// Metadata as strings; a socket-pair record (`LogRecordFields`) is expanded into its fields, as the daemon's
    /// handler writes them (a JSON line, read back).
    static func flatten(_ metadata: Logger.Metadata) -> [String: String] {
        var fields = metadata.mapValues { "\($0)" }
        if case .stringConvertible(let value) = metadata[LogRecord.key], let record = value as? any LogRecordFields {
            fields[LogRecord.key] = nil
            let line = LogLineFormatter.formatLine(
                level: .info,
                message: "",
                metadata: record.metadata,
                format: .json,
                journal: false,
                time: nil
            )
            let object = (try? JSONSerialization.jsonObject(with: Data(line))) as? [String: Any] ?? [:]
            for (key, value) in object where key != "level" && key != "msg" {
                fields[key] = "\(value)"
            }
        }
        return fields
    }
}

let peer = try? SocketAddress(ipAddress: "::ffff:198.51.100.7", port: 40001)

let local = try? SocketAddress(ipAddress: "127.0.0.1", port: 6007)

/// A connection admitted at `gate`, as the channel initializer admits one.
func admittedConnection(
    _ counters: ServiceCounters,
    logs: CapturedLogs,
    gate: ConnectionGate = ConnectionGate(limits: ConnectionLimits())
) throws -> AdmittedConnection {
    let lifecycle = ConnectionLifecycle(
        service: counters.service,
        admission: EntryAdmission(key: "test"),
        counters: counters,
        gate: gate,
        records: RecordLog(logs.logger())
    )
    return try #require(lifecycle.admit(client: peer, server: local))
}

func recordedConnection(
    _ handlers: [any ChannelHandler],
    drive: (EmbeddedChannel, ServiceCounters) throws -> Void
) throws -> CapturedLogs.Record? {
    let logs = CapturedLogs()
    let counters = ServiceCounters(service: "echo", transport: .tcp)
    let gate = ConnectionGate(limits: ConnectionLimits())
    let channel = EmbeddedChannel()
    try channel.pipeline.syncOperations.addHandler(
        ConnectionRecorder(try admittedConnection(counters, logs: logs, gate: gate))
    )
    try channel.pipeline.syncOperations.addHandlers(handlers)
    channel.localAddress = local
    channel.remoteAddress = peer
    #expect(gate.openConnections == 1)
    try channel.connect(to: try #require(peer)).wait()
    #expect(counters.accepted.load(ordering: .relaxed) == 1)
    try drive(channel, counters)
    channel.embeddedEventLoop.run()
    #expect(counters.open.load(ordering: .relaxed) == 0)
    #expect(gate.openConnections == 0, "the place at the gate is given back when the connection ends")
    return logs.all.last { $0.message == "connection" }
}

/// A clock the test moves by hand.
final class ManualClock: Sendable {
    private let value = NIOLockedValueBox(NIODeadline.uptimeNanoseconds(1_000_000_000))
    var now: NIODeadline { self.value.withLockedValue { $0 } }
    func advance(_ amount: TimeAmount) { self.value.withLockedValue { $0 = $0 + amount } }
}

func address(_ ip: String, _ port: Int) throws -> SocketAddress {
    try SocketAddress(ipAddress: ip, port: port)
}
