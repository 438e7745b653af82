import Logging
import NIOCore
import NIOEmbedded
import Testing
import WellKnownConfig
import WellKnownServices

@testable import WellKnownDaemon

@Suite struct StreamBoundsHandlerTests {
    func connection(
        _ handlers: [any ChannelHandler],
        bounds: StreamBounds
    ) throws -> (EmbeddedChannel, CapturedLogs) {
        let logs = CapturedLogs()
        let channel = EmbeddedChannel()
        let counters = ServiceCounters(service: "test", transport: .tcp)
        try channel.pipeline.syncOperations.addHandler(ConnectionRecorder(try admittedConnection(counters, logs: logs)))
        try channel.pipeline.syncOperations.addHandler(StreamBoundsHandler(bounds: bounds))
        try channel.pipeline.syncOperations.addHandlers(handlers)
        try channel.connect(to: try address("127.0.0.1", 40000)).wait()
        return (channel, logs)
    }

    @Test func anIdleConnectionIsClosedAfterTheTimeoutButActivityPostponesIt() throws {
        let (channel, logs) = try connection([DiscardStreamHandler()], bounds: StreamBounds(idleTimeout: .seconds(10)))
        channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        try channel.writeInbound(ByteBuffer(string: "still here"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(6))
        #expect(channel.isActive, "6 s since the last byte")
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(!channel.isActive)
        #expect(logs.all.last?.metadata["end"] == "timeout")
    }

    @Test func theLifetimeEndsEvenABusyConnection() throws {
        let (channel, logs) = try connection(
            [DiscardStreamHandler()],
            bounds: StreamBounds(idleTimeout: nil, maximumLifetime: .seconds(30))
        )
        for _ in 0..<29 {
            try channel.writeInbound(ByteBuffer(string: "x"))
            channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        }
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(!channel.isActive)
        #expect(logs.all.last?.metadata["end"] == "lifetime")
    }

    @Test func chargenStopsAtExactlyTheMaximumBytesOut() throws {
        let (channel, logs) = try connection(
            [ChargenStreamHandler(bytesPerRound: 1 << 20)],
            bounds: StreamBounds(maximumBytesOut: 50_000)
        )
        var sent: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            sent += buffer.readableBytesView
        }
        #expect(sent.count == 50_000)
        #expect(sent == (0..<50_000).map { ChargenPattern.cycle[$0 % 7030] })
        #expect(!channel.isActive)
        #expect(logs.all.last?.metadata["end"] == "limit")
        #expect(logs.all.last?.metadata["bytes_out"] == "50000")
    }

    @Test func echoIsCutOffAfterTheMaximumBytesIn() throws {
        let (channel, logs) = try connection(
            try ServiceDescriptor.echo.makeInstance(options: .init(), environment: SystemEnvironment.live)
                .makeStreamHandlers(),
            bounds: StreamBounds(maximumBytesIn: 10)
        )
        try channel.writeInbound(ByteBuffer(string: "0123456789"))
        #expect(channel.isActive)
        try channel.writeInbound(ByteBuffer(string: "!"))
        #expect(!channel.isActive)
        #expect(logs.all.last?.metadata["end"] == "limit")
        #expect(logs.all.last?.metadata["bytes_in"] == "11")
    }
}

extension StreamBoundsHandlerTests {
    @Test func noBoundsMeansNoHandler() {
        #expect(
            !StreamBoundsHandler.isNeeded(
                for: StreamBounds(idleTimeout: nil, maximumLifetime: nil, maximumBytesOut: nil, maximumBytesIn: nil)
            )
        )
        #expect(StreamBoundsHandler.isNeeded(for: StreamBounds()))
        #expect(
            StreamBoundsHandler.isNeeded(
                for: StreamBounds(idleTimeout: nil, maximumLifetime: nil, maximumBytesOut: nil, maximumBytesIn: 1)
            )
        )
    }
}
