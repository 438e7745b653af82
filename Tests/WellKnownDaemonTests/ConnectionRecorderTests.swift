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

    @Test func aTCPMuxConnectionNamesTheServiceItBecame() throws {
        let handlers = try ServiceDescriptor.tcpmux.makeInstance(options: .init(), environment: SystemEnvironment.live)
            .makeStreamHandlers()
        let record = try #require(
            try recordedConnection(handlers) { channel, _ in
                try channel.writeInbound(ByteBuffer(string: "echo\r\nhi"))
                channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
            }
        )
        #expect(record.metadata["became"] == "echo")
        #expect(record.metadata["bytes_in"] == "8")
        #expect(record.metadata["bytes_out"] == "5", "+ CRLF, then the echoed hi")
        #expect(record.metadata["end"] == "client")
    }
}
