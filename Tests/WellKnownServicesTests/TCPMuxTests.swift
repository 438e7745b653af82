import NIOCore
import NIOEmbedded
import Testing
import WellKnownServices

@Suite struct TCPMuxTests {
    static func channel(_ options: [String: ServiceOptionValue] = [:]) throws -> EmbeddedChannel {
        let service = try ServiceDescriptor.tcpmux.makeInstance(
            options: ServiceOptions(options),
            environment: testEnvironment()
        )
        let channel = try streamChannel(service.makeStreamHandlers())
        try channel.connect(to: client).wait()
        return channel
    }

    static func text(_ channel: EmbeddedChannel) throws -> String {
        String(decoding: try drainOutbound(channel), as: UTF8.self)
    }

    @Test func aNameInAnyCaseBecomesThatServiceAndBytesAfterTheLineReachIt() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "Ec"))
        #expect(try Self.text(channel) == "", "nothing before the end of the line")
        try channel.writeInbound(ByteBuffer(string: "HO\r\nhello"))
        #expect(try Self.text(channel) == "+\r\nhello")
        try channel.writeInbound(ByteBuffer(string: " again"))
        #expect(try Self.text(channel) == " again", "the connection is echo now")
        #expect(channel.isActive)
        #expect(
            (try? channel.pipeline.syncOperations.handler(type: TCPMuxHandler.self)) == nil,
            "tcpmux left the pipeline"
        )
    }

    @Test func aOneShotServiceSendsItsReplyAfterThePlusAndCloses() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "daytime\n"))
        channel.embeddedEventLoop.run()
        #expect(try Self.text(channel) == "+\r\nWed Nov 25 00:04:48 2026\r\n")
        #expect(!channel.isActive)
    }

    @Test func helpListsTheOfferedNamesThenCloses() throws {
        let channel = try Self.channel(["services": .list(["echo", "Daytime"])])
        try channel.writeInbound(ByteBuffer(string: "help\r\n"))
        channel.embeddedEventLoop.run()
        #expect(try Self.text(channel) == "echo\r\ndaytime\r\n")
        #expect(!channel.isActive)
    }

    @Test(arguments: [
        ("chargen\r\n", "-Service not available\r\n"), ("tcpmux\r\n", "-Service not available\r\n"),
        ("\r\n", "-Not a service name\r\n"), ("ec ho\r\n", "-Not a service name\r\n"),
    ])
    func whatIsNotOfferedGetsAMinusAndAClose(line: String, reply: String) throws {
        let channel = try Self.channel(["services": .list(["echo"])])
        try channel.writeInbound(ByteBuffer(string: line))
        channel.embeddedEventLoop.run()
        #expect(try Self.text(channel) == reply)
        #expect(!channel.isActive)
    }

    @Test func aLineLongerThan256BytesIsRefusedWithoutBeingKept() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: String(repeating: "e", count: 200)))
        let handler = try channel.pipeline.syncOperations.handler(type: TCPMuxHandler.self)
        #expect(handler.bufferedBytes == 200)
        try channel.writeInbound(ByteBuffer(string: String(repeating: "e", count: 100)))
        channel.embeddedEventLoop.run()
        #expect(try Self.text(channel) == "-Service name too long\r\n")
        #expect(!channel.isActive)
        #expect(handler.bufferedBytes == 0)
    }

    @Test func aNameLineNotCompleteInTimeIsRefused() throws {
        let channel = try Self.channel(["name-timeout": .integer(5)])
        try channel.writeInbound(ByteBuffer(string: "ech"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(4))
        #expect(channel.isActive)
        channel.embeddedEventLoop.advanceTime(by: .seconds(1))
        #expect(try Self.text(channel) == "-Timed out waiting for a service name\r\n")
        #expect(!channel.isActive)
    }

    @Test func theEndOfInputBeforeANameIsRefused() throws {
        let channel = try Self.channel()
        try channel.writeInbound(ByteBuffer(string: "echo"))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        channel.embeddedEventLoop.run()
        #expect(try Self.text(channel) == "-No service name before the end of input\r\n")
    }

    @Test func theServicesOptionTakesOnlyOtherBuiltIns() {
        #expect(throws: ServiceOptionError.self) {
            try ServiceDescriptor.tcpmux.makeInstance(
                options: ServiceOptions(["services": .list(["echo", "gopher"])]),
                environment: testEnvironment()
            )
        }
        #expect(throws: ServiceOptionError.self) {
            try ServiceDescriptor.tcpmux.makeInstance(
                options: ServiceOptions(["services": .list(["tcpmux"])]),
                environment: testEnvironment()
            )
        }
        #expect(!ServiceDescriptor.tcpmux.datagrams, "TCP only")
    }

    /// The name line is network input: random bytes in random chunks never crash the handler, never make it hold
    /// more than a line, and get one `+`, `-` or HELP answer at most.
    @Test func randomInputGetsAnAnswerOrNothingAndNeverGrows() throws {
        var generator = SeededGenerator(seed: 1078)
        for _ in 0..<500 {
            let channel = try Self.channel(["services": .list(["discard"])])
            let handler = try channel.pipeline.syncOperations.handler(type: TCPMuxHandler.self)
            let pieces = Int.random(in: 1...6, using: &generator)
            for _ in 0..<pieces where channel.isActive {
                let length = Int.random(in: 0...120, using: &generator)
                let alphabet: [UInt8] = Array("discardHELPx \r\n\t%".utf8) + [0, 0xFF]
                let bytes = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
                try channel.writeInbound(ByteBuffer(bytes: bytes))
                #expect(handler.bufferedBytes <= TCPMuxHandler.maximumLineLength)
            }
            channel.embeddedEventLoop.run()
            let reply = try Self.text(channel)
            #expect(
                reply.isEmpty || reply.hasPrefix("+\r\n") || reply.hasPrefix("-") || reply == "discard\r\n",
                "\(reply)"
            )
            _ = try? channel.finish()
        }
    }
}
