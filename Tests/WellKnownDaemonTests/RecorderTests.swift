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

@Suite struct ConnectionRecorderTests {
    @Test func echoClosedByTheClientLogsTheSocketPairAndBytes() throws {
        let record = try #require(
            try recordedConnection(
                ServiceDescriptor.echo.makeInstance(options: .init(), environment: SystemEnvironment.live)
                    .makeStreamHandlers()
            ) { channel, counters in
                #expect(counters.open.load(ordering: .relaxed) == 1)
                try channel.writeInbound(ByteBuffer(string: "hello"))
                channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            }
        )
        #expect(record.metadata["client"] == "198.51.100.7:40001")
        #expect(record.metadata["server"] == "127.0.0.1:6007")
        #expect(record.metadata["bytes_in"] == "5")
        #expect(record.metadata["bytes_out"] == "5")
        #expect(record.metadata["end"] == "client")
        #expect(record.metadata["proto"] == "tcp")
        #expect(record.level == .info)
    }

    @Test func aServiceThatClosesIsLoggedAsServer() throws {
        let handlers = try ServiceDescriptor.time.makeInstance(options: .init(), environment: SystemEnvironment.live)
            .makeStreamHandlers()
        let record = try #require(try recordedConnection(handlers) { _, _ in })
        #expect(record.metadata["end"] == "server")
        #expect(record.metadata["bytes_out"] == "4")
    }

    /// A close that no handler asked for (NIO's reaction to a failed write) cannot be staged on an EmbeddedChannel;
    /// the integration tests cover it with a chargen client that goes away.
    @Test func resetErrorsAreLoggedAsReset() throws {
        let record = try #require(
            try recordedConnection([ChargenStreamHandler(bytesPerRound: 1)]) { channel, _ in
                channel.isWritable = false
                channel.pipeline.fireErrorCaught(IOError(errnoCode: ECONNRESET, reason: "read"))
                #expect(!channel.isActive)
            }
        )
        #expect(record.metadata["end"] == "reset")
    }

    @Test func otherErrorsCloseOnlyThatConnectionAndAreNamed() throws {
        struct Weird: Error {}
        let record = try #require(
            try recordedConnection([DiscardStreamHandler()]) { channel, _ in
                channel.pipeline.fireErrorCaught(Weird())
                #expect(!channel.isActive)
            }
        )
        #expect(record.metadata["end"] == "error")
        #expect(record.metadata["error"] == "Weird()")
    }

    @Test(arguments: [ConnectionEnd.shutdown, .timeout, .limit])
    func aCloseRequestClosesAndIsLoggedWithItsReason(reason: ConnectionEnd) throws {
        let record = try #require(
            try recordedConnection([DiscardStreamHandler()]) { channel, _ in
                channel.pipeline.triggerUserOutboundEvent(CloseRequest(reason: reason), promise: nil)
            }
        )
        #expect(record.metadata["end"] == reason.rawValue)
    }

    @Test func aChannelThatNeverBecameActiveStillGivesItsPlaceBack() throws {
        let logs = CapturedLogs()
        let counters = ServiceCounters(service: "echo", transport: .tcp)
        let gate = ConnectionGate(limits: ConnectionLimits())
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(
            ConnectionRecorder(try admittedConnection(counters, logs: logs, gate: gate))
        )
        #expect(gate.openConnections == 1)
        _ = try? channel.finish()
        #expect(gate.openConnections == 0)
        #expect(counters.open.load(ordering: .relaxed) == 0, "never counted open, so never counted closed")
    }
}

@Suite struct DatagramRecorderTests {
    func exchange(_ service: ServiceDescriptor, payload: [UInt8], packetInfo: NIOPacketInfo?) throws -> (
        CapturedLogs.Record?, ServiceCounters
    ) {
        let logs = CapturedLogs()
        let counters = ServiceCounters(service: service.name, transport: .udp)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(DatagramRecorder(counters: counters, logger: logs.logger()))
        try channel.pipeline.syncOperations.addHandlers(
            service.makeInstance(options: .init(), environment: SystemEnvironment.live).makeDatagramHandlers()
        )
        channel.localAddress = try SocketAddress(ipAddress: "::", port: 6007)
        try channel.connect(to: try #require(peer)).wait()
        let envelope = AddressedEnvelope(
            remoteAddress: try #require(peer),
            data: ByteBuffer(bytes: payload),
            metadata: packetInfo.map { .init(ecnState: .transportNotCapable, packetInfo: $0) }
        )
        try channel.writeInbound(envelope)
        _ = try? channel.finish()
        return (logs.all.last { $0.message == "datagram" }, counters)
    }

    @Test func answeredDatagramNamesTheRealDestinationAndBothSizes() throws {
        let destination = try SocketAddress(ipAddress: "::ffff:127.0.0.5", port: 0)
        let (record, counters) = try exchange(
            .echo,
            payload: Array("ping".utf8),
            packetInfo: NIOPacketInfo(destinationAddress: destination, interfaceIndex: 1)
        )
        let r = try #require(record)
        #expect(r.metadata["client"] == "198.51.100.7:40001")
        #expect(r.metadata["server"] == "127.0.0.5:6007", "the wildcard socket's real local address, unmapped")
        #expect(r.metadata["bytes_in"] == "4")
        #expect(r.metadata["bytes_out"] == "4")
        #expect(r.metadata["reply"] == "sent")
        #expect(counters.accepted.load(ordering: .relaxed) == 1)
        #expect(counters.replies.load(ordering: .relaxed) == 1)
    }

    @Test func unansweredDatagramIsLoggedToo() throws {
        let (record, counters) = try exchange(.discard, payload: [1, 2, 3], packetInfo: nil)
        let r = try #require(record)
        #expect(r.metadata["reply"] == "none")
        #expect(r.metadata["bytes_out"] == "0")
        #expect(r.metadata["server"] == "[::]:6007", "without packet info, the bound address")
        #expect(counters.replies.load(ordering: .relaxed) == 0)
    }
}

@Suite struct ConnectionLifecycleTests {
    /// A real channel whose initializer fails after admission is closed before it is ever active: no
    /// `channelInactive`, only `handlerRemoved`, must give the place back.
    @Test func aConnectionWhoseInitializerFailsGivesItsPlaceBack() throws {
        struct Broken: Error {}
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let gate = ConnectionGate(limits: ConnectionLimits())
        let logs = CapturedLogs()
        let counters = ServiceCounters(service: "echo", transport: .tcp)
        let admissions = NIOLockedValueBox(0)
        let lifecycle = ConnectionLifecycle(
            service: "echo",
            admission: EntryAdmission(key: "test"),
            counters: counters,
            gate: gate,
            records: RecordLog(logs.logger())
        )
        let server = try ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let admitted = lifecycle.admit(client: channel.remoteAddress, server: channel.localAddress)
                    else { return }
                    admissions.withLockedValue { $0 += 1 }
                    try channel.pipeline.syncOperations.addHandler(ConnectionRecorder(admitted))
                    throw Broken()
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? server.close().wait() }
        let client = try ClientBootstrap(group: group).connect(to: try #require(server.localAddress)).wait()
        try client.closeFuture.wait()
        let deadline = NIODeadline.now() + .seconds(5)
        while gate.openConnections > 0, NIODeadline.now() < deadline {
            usleep(10_000)
        }
        #expect(admissions.withLockedValue { $0 } == 1)
        #expect(gate.openConnections == 0)
        #expect(counters.open.load(ordering: .relaxed) == 0)
    }
}
