import NIOCore
import NIOEmbedded
import Testing
import WellKnownServices

@Suite struct ChargenPatternTests {
    @Test func lineZeroStartsWithASpaceLikeBSD() {
        let line = ChargenPattern.line(0)
        #expect(line.count == 74)
        #expect(
            String(decoding: line, as: UTF8.self)
                == " !\"#$%&'()*+,-./0123456789:;<=>?@ABCDEFGHIJKLMNOPQRSTUVWXYZ[\\]^_`abcdefg\r\n"
        )
    }

    @Test(arguments: [
        (1, UInt8(ascii: "!"), UInt8(ascii: "h")),
        (23, UInt8(ascii: "7"), UInt8(ascii: "~")),  // the last line that does not wrap inside itself
        (24, UInt8(ascii: "8"), UInt8(ascii: " ")),  // '~' is followed by ' '
        (94, UInt8(ascii: "~"), UInt8(ascii: "f")),
        (95, UInt8(ascii: " "), UInt8(ascii: "g")),  // the ring wraps: line 95 is line 0
    ])
    func linesShiftByOneCharacter(line: Int, first: UInt8, last: UInt8) {
        let bytes = ChargenPattern.line(line)
        #expect(bytes.first == first)
        #expect(bytes[71] == last)
        #expect(bytes.suffix(2) == [13, 10])
    }

    @Test func cycleIs95LinesOf74Bytes() {
        #expect(ChargenPattern.cycle.count == 7030)
        #expect(Array(ChargenPattern.cycle.prefix(74)) == ChargenPattern.line(0))
        #expect(Array(ChargenPattern.cycle.suffix(74)) == ChargenPattern.line(94))
        let printable = ChargenPattern.cycle.filter { $0 != 13 && $0 != 10 }
        #expect(printable.allSatisfy { (32...126).contains($0) })
        #expect(Set(printable).count == 95)
    }

    @Test func sharedBufferRepeatsTheCycle() {
        let buffer = ChargenPattern.buffer
        let all = Array(buffer.readableBytesView)
        #expect(all.count >= ChargenPattern.cycleLength + ChargenPattern.streamChunk)
        for (i, byte) in all.enumerated() {
            guard byte == ChargenPattern.cycle[i % 7030] else {
                Issue.record("byte \(i) breaks the cycle")
                return
            }
        }
    }
}

@Suite struct ChargenStreamTests {
    /// The expected stream from line 0, `count` bytes long.
    func expectedStream(_ count: Int) -> [UInt8] {
        (0..<count).map { ChargenPattern.cycle[$0 % 7030] }
    }

    // EmbeddedEventLoop.run() also runs the tasks it schedules, and a writable chargen always schedules its next
    // round: the tests make the channel unwritable before they run the loop, and step rounds by hand.

    @Test func streamsThePatternFromLineZeroInBoundedRounds() throws {
        let channel = try streamChannel([ChargenStreamHandler(bytesPerRound: 40_000)])
        try channel.connect(to: client).wait()
        let first = try drainOutbound(channel)
        // One round: whole chunks until the round's budget is used up, then it yields to the event loop.
        #expect(first.count == 3 * ChargenPattern.streamChunk)
        #expect(first == expectedStream(first.count))

        // The next round is queued on the event loop, not run inline.
        channel.isWritable = false
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        channel.embeddedEventLoop.run()
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        let second = try drainOutbound(channel)
        #expect(second.count == 3 * ChargenPattern.streamChunk)
        #expect(first + second == expectedStream(first.count + second.count))
        channel.isWritable = false
        _ = try? channel.finish()
    }

    @Test func writesNothingWhileNotWritableAndResumesWhereItStopped() throws {
        let channel = try streamChannel([ChargenStreamHandler(bytesPerRound: 20_000)])
        channel.isWritable = false
        try channel.connect(to: client).wait()
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)

        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        let resumed = try drainOutbound(channel)
        #expect(resumed.count == 2 * ChargenPattern.streamChunk)
        #expect(resumed == expectedStream(resumed.count))

        // The client stops reading: the round already queued writes nothing.
        channel.isWritable = false
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        _ = try? channel.finish()
    }

    @Test func inputAndHalfCloseDoNotStopTheStream() throws {
        let channel = try streamChannel([ChargenStreamHandler(bytesPerRound: 1)])
        try channel.connect(to: client).wait()
        _ = try drainOutbound(channel)
        try channel.writeInbound(ByteBuffer(string: "ignored"))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(channel.isActive)
        channel.isWritable = false
        channel.embeddedEventLoop.run()
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(try drainOutbound(channel).count == ChargenPattern.streamChunk)
        channel.isWritable = false
        _ = try? channel.finish()
    }

    @Test func stopsWhenTheChannelCloses() throws {
        let channel = try streamChannel([ChargenStreamHandler(bytesPerRound: 1)])
        try channel.connect(to: client).wait()
        _ = try drainOutbound(channel)
        try channel.close().wait()
        channel.embeddedEventLoop.run()
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
    }
}

@Suite struct ChargenDatagramTests {
    @Test(arguments: [0, 1, 74, 512])
    func rfcModeRepliesWithTheDrawnLengthFromTheStartOfThePattern(length: Int) throws {
        let environment = testEnvironment(
            random: RandomSource { range in
                #expect(range == 0...512)
                return length
            }
        )
        let service = try ServiceDescriptor.chargen.makeInstance(options: ServiceOptions(), environment: environment)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(service.makeDatagramHandlers())
        try channel.writeInbound(datagram([1, 2, 3]))
        try channel.writeInbound(datagram([]))
        for _ in 0..<2 {
            let reply = try #require(try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self))
            #expect(reply.remoteAddress == client)
            #expect(bytes(reply.data) == Array(ChargenPattern.cycle.prefix(length)))
        }
        #expect(try channel.finish().isClean)
    }

    @Test func bsdModeSendsOneLineAdvancingThroughTheRing() throws {
        let service = try instance(.chargen, ["udp-mode": "bsd"])
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(service.makeDatagramHandlers())
        for n in 0..<97 {
            try channel.writeInbound(datagram([]))
            let reply = try #require(try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self))
            #expect(bytes(reply.data) == ChargenPattern.line(n))
        }
        #expect(try channel.finish().isClean)
    }
}
