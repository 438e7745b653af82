import NIOCore
import NIOEmbedded
import Testing
import WellKnownCalendar
import WellKnownServices

@Suite struct QuoteFileTests {
    @Test func quotesAreTheRunsBetweenPercentLinesSentWithCRLF() throws {
        let file = try QuoteFile(contents: "\nFirst line\nsecond line\n\n%\n\n%  \r\nOnly one\r\n%\n")
        #expect(file.quotes == [Array("First line\r\nsecond line\r\n".utf8), Array("Only one\r\n".utf8)])
    }

    @Test func theBuiltInQuotesPassTheDefaultReplyFloorWhole() {
        #expect(QuoteFile.builtIn.quotes.count >= 5)
        #expect(QuoteFile.builtIn.quotes.allSatisfy { $0.count <= 64 && $0.suffix(2) == [13, 10] })
    }

    @Test func aFileWithoutASeparatorIsOneQuote() throws {
        #expect(try QuoteFile(contents: "Alone\n").quotes == [Array("Alone\r\n".utf8)])
    }

    @Test func aQuoteOf512BytesOrMoreIsRefusedWithItsFirstLine() {
        let long = String(repeating: "x", count: 509)  // 509 + CRLF = 511 bytes: the longest allowed
        #expect((try? QuoteFile(contents: "ok\n%\n\(long)\n")) != nil)
        #expect(
            throws: QuoteFile.Problem(
                line: 4,
                message: "the quote is 512 bytes with its CRLFs; RFC 865 allows fewer than 512"
            )
        ) {
            try QuoteFile(contents: "ok\n%\n\n\(long)x\n")
        }
    }

    @Test(arguments: ["", "\n\n", "%\n%\n", "  \n%\n\t\n"])
    func aFileWithNoQuoteIsRefused(contents: String) {
        #expect(throws: QuoteFile.Problem.self) { try QuoteFile(contents: contents) }
    }

    /// The file is configuration, not network input, but it comes from anywhere: random text never crashes the
    /// parser, and whatever it accepts is within the RFC's limit.
    @Test func randomFilesGiveQuotesWithinTheLimitOrAPositionedProblem() {
        var generator = SeededGenerator(seed: 865)
        let alphabet: [Character] = ["a", "b", " ", "%", "\n", "\r", "\t", "é", "\u{0}", "x"]
        for _ in 0..<2000 {
            let length = Int.random(in: 0...900, using: &generator)
            let text = String((0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] })
            do {
                let file = try QuoteFile(contents: text)
                #expect(!file.quotes.isEmpty)
                #expect(file.quotes.allSatisfy { !$0.isEmpty && $0.count <= QuoteFile.maximumQuoteLength })
            } catch {
                #expect(
                    error.line >= 1 && error.line <= text.split(separator: "\n", omittingEmptySubsequences: false).count
                )
            }
        }
    }
}

@Suite struct QuoteOfTheDayTests {
    static let file = QuoteFile(quotes: ["one\r\n", "two\r\n", "three\r\n"].map { Array($0.utf8) })

    static func reply(_ producer: inout QuoteReply) -> String {
        guard let reply = producer.reply(to: ByteBuffer(), allocator: ByteBufferAllocator()) else { return "(none)" }
        return String(buffer: reply)
    }

    @Test func dailyGivesTheSameQuoteAllDayAndTheNextOneTomorrow() {
        let clock = TestClock(WallClockTime(secondsSinceEpoch: 86_400 * 20_000 + 5))
        var producer = QuoteReply(quotes: Self.file, selection: .daily, clock: WallClock { clock.now }, random: .system)
        let morning = Self.reply(&producer)
        clock.now = WallClockTime(secondsSinceEpoch: 86_400 * 20_000 + 86_399)
        #expect(Self.reply(&producer) == morning)
        clock.now = WallClockTime(secondsSinceEpoch: 86_400 * 20_001)
        #expect(Self.reply(&producer) != morning)
        #expect(morning == ["one\r\n", "two\r\n", "three\r\n"][20_000 % 3])
    }

    @Test func randomDrawsFromTheInjectedSource() {
        var producer = QuoteReply(
            quotes: Self.file,
            selection: .random,
            clock: WallClock { nil },
            random: RandomSource { range in range.upperBound }
        )
        #expect(Self.reply(&producer) == "three\r\n")
    }

    @Test func tcpSendsOneQuoteAndClosesAndUDPAnswersEveryDatagram() throws {
        let service = try instance(.qotd)
        let channel = try streamChannel(service.makeStreamHandlers())
        channel.pipeline.fireChannelActive()
        let sent = try drainOutbound(channel)
        #expect(QuoteFile.builtIn.quotes.contains(sent))
        #expect(!channel.isActive)
        #expect(service.wholeDatagramReplies, "a quote is never cut by the reply cap")

        let udp = EmbeddedChannel()
        try udp.pipeline.syncOperations.addHandlers(service.makeDatagramHandlers())
        try udp.writeInbound(datagram([]))
        try udp.writeInbound(datagram([1]))
        udp.pipeline.fireChannelReadComplete()
        #expect(try udp.readOutbound(as: AddressedEnvelope<ByteBuffer>.self).map { bytes($0.data) } == sent)
        #expect(try udp.readOutbound(as: AddressedEnvelope<ByteBuffer>.self).map { bytes($0.data) } == sent)
    }

    @Test func aQuotesFileGivesTheQuotesAndAProblemNamesTheFileAndLine() throws {
        let good = try ServiceDescriptor.qotd.makeInstance(
            options: ServiceOptions(["quotes": .file(path: "/q", contents: "Mine\n")]),
            environment: testEnvironment()
        )
        #expect(good.replyOnConnect?(ByteBufferAllocator()).map(bytes) == Array("Mine\r\n".utf8))
        #expect(
            throws: ServiceOptionError(
                key: "quotes",
                message: "/q:1: the file holds no quote (quotes are separated by lines holding %)"
            )
        ) {
            try ServiceDescriptor.qotd.makeInstance(
                options: ServiceOptions(["quotes": .file(path: "/q", contents: "%\n")]),
                environment: testEnvironment()
            )
        }
    }
}

/// xorshift64*: reproducible random input for the fuzz-style tests.
struct SeededGenerator: RandomNumberGenerator {
    private var state: UInt64

    init(seed: UInt64) {
        self.state = seed == 0 ? 0x9E37_79B9_7F4A_7C15 : seed
    }

    mutating func next() -> UInt64 {
        self.state ^= self.state >> 12
        self.state ^= self.state << 25
        self.state ^= self.state >> 27
        return self.state &* 0x2545_F491_4F6C_DD1D
    }
}
