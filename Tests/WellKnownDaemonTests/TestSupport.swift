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

/// A TCP client on 127.0.0.1:`port`: sends `bytes`, half-closes, and reads until EOF or `timeout` seconds. nil if
/// the read failed or timed out (nothing came, not even the EOF). A daytime client sends nothing: bytes a server
/// closes on unread make its close a reset.
func loopbackExchange(_ bytes: [UInt8] = [], port: Int, timeout: Int = 2) throws -> [UInt8]? {
    let fd = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
    try #require(fd >= 0)
    defer { close(fd) }
    var wait = timeval(tv_sec: timeout, tv_usec: 0)
    setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &wait, socklen_t(MemoryLayout<timeval>.size))
    let address = try SocketAddress(ipAddress: "127.0.0.1", port: port)
    try #require(address.withSockAddr { connect(fd, $0, socklen_t($1)) } == 0)
    if !bytes.isEmpty {
        try #require(send(fd, bytes, bytes.count, 0) == bytes.count)
    }
    // The half-close lets services that read until the client is done (discard, echo) end the connection too.
    shutdown(fd, Int32(SHUT_WR))
    var received: [UInt8] = []
    var buffer = [UInt8](repeating: 0, count: 256)
    while true {
        let count = buffer.withUnsafeMutableBytes { recv(fd, $0.baseAddress, $0.count, 0) }
        if count < 0 { return nil }
        if count == 0 { return received }
        received += buffer[..<count]
    }
}

/// wellknownd's own log handler writing through a `LogSink` into a pipe, whose read end (`readEnd`, non-blocking,
/// closed by the caller) `pipedText` reads.
func pipedLogger(format: LogFormat = .text, journal: Bool = true) throws -> (
    sink: LogSink, logger: Logger, readEnd: Int32
) {
    var pipeEnds: [Int32] = [0, 0]
    try #require(pipe(&pipeEnds) == 0)
    let flags = fcntl(pipeEnds[0], F_GETFL)
    _ = fcntl(pipeEnds[0], F_SETFL, flags | O_NONBLOCK)
    let sink = LogSink(descriptor: pipeEnds[1])
    let logger = Logger(label: "test") {
        WellKnownLogHandler(label: $0, sink: sink, format: format, level: .info, journal: journal)
    }
    return (sink, logger, pipeEnds[0])
}

/// What the sink has written into the pipe so far and is not yet read: its pending lines are flushed first.
func pipedText(_ sink: LogSink, _ readEnd: Int32) -> String {
    sink.flush()
    var chunk = [UInt8](repeating: 0, count: 65536)
    let count = read(readEnd, &chunk, chunk.count)
    return String(decoding: chunk[0..<max(count, 0)], as: UTF8.self)
}
