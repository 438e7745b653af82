import NIOCore
import NIOEmbedded
import Testing
import WellKnownCalendar
import WellKnownServices

@Suite struct EchoTests {
    @Test func streamReturnsEveryByteInOrder() throws {
        let channel = try streamChannel(try instance(.echo).makeStreamHandlers())
        try channel.connect(to: client).wait()
        let chunks: [[UInt8]] = [Array("hello ".utf8), [0, 255, 13, 10], Array(repeating: 7, count: 5000)]
        for chunk in chunks {
            try channel.writeInbound(ByteBuffer(bytes: chunk))
        }
        #expect(try drainOutbound(channel) == chunks.flatMap { $0 })
        #expect(channel.isActive)
        _ = try? channel.finish()
    }

    @Test func halfCloseFlushesTheRestThenCloses() throws {
        let channel = try streamChannel(try instance(.echo).makeStreamHandlers())
        try channel.connect(to: client).wait()
        try channel.writeInbound(ByteBuffer(string: "first, "))
        // Bytes echoed but not yet flushed (no read-complete yet) when the client shuts its write side: closing
        // straight away would throw them away.
        channel.pipeline.fireChannelRead(ByteBuffer(string: "last words"))
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        channel.embeddedEventLoop.run()
        #expect(try drainOutbound(channel) == Array("first, last words".utf8))
        #expect(!channel.isActive)
    }

    @Test func stopsReadingWhileThePeerDoesNotRead() throws {
        let channel = try streamChannel(try instance(.echo).makeStreamHandlers())
        try channel.connect(to: client).wait()
        let reads = ReadCounter()
        try channel.pipeline.syncOperations.addHandler(reads, position: .first)
        channel.read()
        #expect(reads.count == 1)
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        channel.read()
        #expect(reads.count == 1, "no read may reach the socket while our replies cannot be written")
        channel.isWritable = true
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(reads.count == 2, "the held read goes through once the peer reads again")
        _ = try? channel.finish()
    }

    @Test func repliesWaitingForAReadCompleteAreFlushedWhenThePeerStopsReading() throws {
        let channel = try streamChannel(try instance(.echo).makeStreamHandlers())
        try channel.connect(to: client).wait()
        // A read without its read-complete: the echo is written, not yet flushed.
        channel.pipeline.fireChannelRead(ByteBuffer(string: "pending"))
        #expect(try drainOutbound(channel).isEmpty)
        channel.isWritable = false
        channel.pipeline.fireChannelWritabilityChanged()
        #expect(try drainOutbound(channel) == Array("pending".utf8))
        _ = try? channel.finish()
    }

    @Test(arguments: [0, 1, 2048, 65507])
    func datagramComesBackWhole(size: Int) throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(try instance(.echo).makeDatagramHandlers())
        let payload = (0..<size).map { UInt8(truncatingIfNeeded: $0 * 31) }
        try channel.writeInbound(datagram(payload))
        let reply = try #require(try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self))
        #expect(reply.remoteAddress == client)
        #expect(bytes(reply.data) == payload)
        #expect(try channel.finish().isClean)
    }
}

/// Counts `read` calls that reach the head of the pipeline.
final class ReadCounter: ChannelOutboundHandler {
    typealias OutboundIn = Never
    var count = 0

    func read(context: ChannelHandlerContext) {
        self.count += 1
        context.read()
    }
}

@Suite struct DiscardTests {
    @Test func streamDropsEverythingAndClosesAfterTheClient() throws {
        let channel = try streamChannel(try instance(.discard).makeStreamHandlers())
        try channel.connect(to: client).wait()
        try channel.writeInbound(ByteBuffer(string: "into the void"))
        #expect(try channel.readOutbound(as: ByteBuffer.self) == nil)
        #expect(channel.isActive)
        channel.pipeline.fireUserInboundEventTriggered(ChannelEvent.inputClosed)
        #expect(!channel.isActive)
    }

    @Test func datagramsGetNoReply() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(try instance(.discard).makeDatagramHandlers())
        try channel.writeInbound(datagram([1, 2, 3]))
        try channel.writeInbound(datagram([]))
        #expect(try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) == nil)
        #expect(try channel.finish().isClean)
    }
}

@Suite struct TimeTests {
    @Test(
        arguments: [
            (Int64(0), UInt32(2_208_988_800)),
            (-2_208_988_800, 0),  // 1900-01-01T00:00:00Z
            (1_795_565_088, 4_004_553_888),  // 2026-11-25T00:04:48Z
            (2_085_978_495, UInt32.max),  // 2036-02-07T06:28:15Z, the last second of era 0
            (2_085_978_496, 0),  // 2036-02-07T06:28:16Z: the count wraps
            (2_085_978_497, 1),
        ] as [(Int64, UInt32)]
    )
    func rfc868CountsSecondsSince1900Modulo2To32(unix: Int64, expected: UInt32) {
        #expect(RFC868.timestamp(secondsSinceEpoch: unix) == expected)
    }

    @Test func streamSendsFourBigEndianBytesAndCloses() throws {
        let channel = try streamChannel(try instance(.time).makeStreamHandlers())
        try channel.connect(to: client).wait()
        channel.embeddedEventLoop.run()
        // 4_004_553_888 = 0xEEB0_A4A0
        #expect(try drainOutbound(channel) == [0xEE, 0xB0, 0xA4, 0xA0])
        #expect(!channel.isActive)
    }

    @Test func unknownTimeClosesWithoutSendingAndDatagramsGetSilence() throws {
        let environment = testEnvironment(time: nil)
        let service = try ServiceDescriptor.time.makeInstance(options: ServiceOptions(), environment: environment)
        let stream = try streamChannel(service.makeStreamHandlers())
        try stream.connect(to: client).wait()
        #expect(try stream.readOutbound(as: ByteBuffer.self) == nil)
        #expect(!stream.isActive)

        let udp = EmbeddedChannel()
        try udp.pipeline.syncOperations.addHandlers(service.makeDatagramHandlers())
        try udp.writeInbound(datagram([1]))
        #expect(try udp.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) == nil)
    }

    @Test func everyDatagramEmptyOrNotGetsFourBytes() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(try instance(.time).makeDatagramHandlers())
        try channel.writeInbound(datagram([]))
        try channel.writeInbound(datagram(Array(repeating: 0x41, count: 100)))
        for _ in 0..<2 {
            let reply = try #require(try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self))
            #expect(bytes(reply.data) == [0xEE, 0xB0, 0xA4, 0xA0])
            #expect(reply.remoteAddress == client)
        }
        #expect(try channel.finish().isClean)
    }
}

@Suite struct DaytimeTests {
    @Test(
        arguments: [
            // 2026-11-25T00:04:48Z, a Wednesday
            (DaytimeFormat.ctime, Int64(1_795_565_088), UTCOffset.utc, "Wed Nov 25 00:04:48 2026\r\n"),
            (.rfc3339, 1_795_565_088, .utc, "2026-11-25T00:04:48Z\r\n"),
            (.rfc2822, 1_795_565_088, .utc, "Wed, 25 Nov 2026 00:04:48 +0000\r\n"),
            (.date, 1_795_565_088, .utc, "Wed Nov 25 00:04:48 UTC 2026\r\n"),
            // The day of month is space-padded in ctime and date, zero-padded in the RFC forms: 2026-11-05T09:08:07Z.
            (.ctime, 1_793_869_687, .utc, "Thu Nov  5 09:08:07 2026\r\n"),
            (.date, 1_793_869_687, .utc, "Thu Nov  5 09:08:07 UTC 2026\r\n"),
            (.rfc2822, 1_793_869_687, .utc, "Thu, 05 Nov 2026 09:08:07 +0000\r\n"),
            // Offsets, east and west, including a half hour; the local date may differ from the UTC date.
            (.rfc3339, 1_795_565_088, UTCOffset(seconds: 19800, abbreviation: "IST"), "2026-11-25T05:34:48+05:30\r\n"),
            (.rfc3339, 1_795_565_088, UTCOffset(seconds: -18000, abbreviation: "EST"), "2026-11-24T19:04:48-05:00\r\n"),
            (
                .rfc2822, 1_795_565_088, UTCOffset(seconds: -18000, abbreviation: "EST"),
                "Tue, 24 Nov 2026 19:04:48 -0500\r\n"
            ),
            (.date, 1_795_565_088, UTCOffset(seconds: 3600, abbreviation: "CET"), "Wed Nov 25 01:04:48 CET 2026\r\n"),
            (.ctime, 1_795_565_088, UTCOffset(seconds: 3600, abbreviation: "CET"), "Wed Nov 25 01:04:48 2026\r\n"),
        ] as [(DaytimeFormat, Int64, UTCOffset, String)]
    )
    func formats(format: DaytimeFormat, unix: Int64, offset: UTCOffset, expected: String) {
        let line = format.line(for: WallClockTime(secondsSinceEpoch: unix), offset: offset)
        #expect(String(decoding: line, as: UTF8.self) == expected)
    }

    @Test func ctimeLineIs24CharactersPlusCRLF() {
        #expect(DaytimeFormat.ctime.line(for: fixedTime, offset: .utc).count == 26)
    }

    @Test func streamSendsTheLineAndCloses() throws {
        let service = try instance(.daytime, ["format": "rfc3339", "zone": "Test/Plus0530"])
        let channel = try streamChannel(service.makeStreamHandlers())
        try channel.connect(to: client).wait()
        try channel.writeInbound(ByteBuffer(string: "ignored\r\n"))
        channel.embeddedEventLoop.run()
        #expect(try drainOutbound(channel) == Array("2026-11-25T05:34:48+05:30\r\n".utf8))
        #expect(!channel.isActive)
    }

    /// The line is kept for the second it was made in: it follows the clock forwards and back, and copies of the
    /// producer (one per connection and socket) share it.
    @Test func theLineFollowsTheClockSecondBySecond() {
        let clock = TestClock(fixedTime)
        let first = DaytimeReply(format: .rfc3339, zone: FixedOffsetZone.utc, clock: WallClock { clock.now })
        var copy = first
        var producer = first
        func line(_ producer: inout DaytimeReply) -> String {
            String(buffer: producer.reply(to: ByteBuffer(), allocator: ByteBufferAllocator()) ?? ByteBuffer())
        }
        #expect(line(&producer) == "2026-11-25T00:04:48Z\r\n")
        clock.now = WallClockTime(secondsSinceEpoch: fixedTime.secondsSinceEpoch, nanoseconds: 999_000_000)
        #expect(line(&copy) == "2026-11-25T00:04:48Z\r\n")
        clock.now = WallClockTime(secondsSinceEpoch: fixedTime.secondsSinceEpoch + 1)
        #expect(line(&copy) == "2026-11-25T00:04:49Z\r\n")
        #expect(line(&producer) == "2026-11-25T00:04:49Z\r\n")
        clock.now = WallClockTime(secondsSinceEpoch: fixedTime.secondsSinceEpoch - 3600)
        #expect(line(&producer) == "2026-11-24T23:04:48Z\r\n")
    }

    @Test func everyDatagramIncludingEmptyOnesIsAnswered() throws {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(try instance(.daytime).makeDatagramHandlers())
        try channel.writeInbound(datagram([]))
        try channel.writeInbound(datagram([0x0A]))
        for _ in 0..<2 {
            let reply = try #require(try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self))
            #expect(bytes(reply.data) == Array("Wed Nov 25 00:04:48 2026\r\n".utf8))
            #expect(reply.remoteAddress == client)
        }
        #expect(try channel.finish().isClean)
    }

    @Test func unknownZoneAndFormatAreRejectedWithTheirKey() {
        #expect(
            throws: ServiceOptionError(
                key: "zone",
                message: "unknown time zone 'Mars/Olympus' (use local, UTC or an IANA name such as Europe/Paris)"
            )
        ) {
            try instance(.daytime, ["zone": "Mars/Olympus"])
        }
        #expect(throws: ServiceOptionError(key: "format", message: "'iso' is not one of ctime, rfc3339, rfc2822, date"))
        {
            try instance(.daytime, ["format": "iso"])
        }
        #expect(throws: ServiceOptionError(key: "zone", message: "echo has no option 'zone'")) {
            try instance(.echo, ["zone": "UTC"])
        }
    }
}

@Suite struct CivilTimeTests {
    @Test(
        arguments: [
            (Int64(0), [1970, 1, 1, 0, 0, 0, 4]),
            (-1, [1969, 12, 31, 23, 59, 59, 3]),
            (-2_208_988_800, [1900, 1, 1, 0, 0, 0, 1]),
            (951_782_400, [2000, 2, 29, 0, 0, 0, 2]),  // a leap day in a year divisible by 400
            (1_709_251_199, [2024, 2, 29, 23, 59, 59, 4]),
            (4_107_542_400, [2100, 3, 1, 0, 0, 0, 1]),  // 2100 is not a leap year: Feb 28 is followed by Mar 1
            (1_795_565_088, [2026, 11, 25, 0, 4, 48, 3]),
        ] as [(Int64, [Int])]
    )
    func convertsSecondsToTheGregorianCalendar(unix: Int64, fields: [Int]) {
        let t = CivilTime(secondsSinceEpoch: unix)
        #expect([t.year, t.month, t.day, t.hour, t.minute, t.second, t.weekday] == fields)
    }
}

@Suite struct CatalogTests {
    @Test func theClassicServicesAreThereWithTheirRFCsAndPorts() {
        let rows = Set(ServiceCatalog.all.map { "\($0.name) \($0.rfc ?? 0) \($0.wellKnownPort ?? 0)" })
        #expect(
            rows.isSuperset(of: [
                "echo 862 7", "discard 863 9", "chargen 864 19", "daytime 867 13", "time 868 37", "qotd 865 17",
                "whoami 0 0",
            ])
        )
        #expect(ServiceCatalog.descriptor(named: "daytime")?.options.map(\.key) == ["format", "zone"])
    }

    /// What every row must be, whatever rows are added: its name finds it, and no two rows share a name, an RFC or
    /// a well-known port.
    @Test func everyRowIsFoundByItsNameAndIsTheOnlyOneWithItsNameRFCAndPort() {
        for descriptor in ServiceCatalog.all {
            #expect(ServiceCatalog.descriptor(named: descriptor.name)?.rfc == descriptor.rfc)
        }
        #expect(Set(ServiceCatalog.all.map(\.name)).count == ServiceCatalog.all.count)
        let rfcs = ServiceCatalog.all.compactMap(\.rfc)
        let ports = ServiceCatalog.all.compactMap(\.wellKnownPort)
        #expect(Set(rfcs).count == rfcs.count)
        #expect(Set(ports).count == ports.count)
        #expect(ServiceCatalog.descriptor(named: "no such service") == nil)
    }

    /// The daemon serves a UDP socket only through the service's responder: a row that serves datagrams must have
    /// one, and a TCP-only row none (its `datagrams: false` keeps it off UDP in the configuration).
    @Test func exactlyTheRowsThatServeDatagramsHaveAResponder() throws {
        for descriptor in ServiceCatalog.all {
            let service = try instance(descriptor)
            #expect((service.makeDatagramResponder() != nil) == descriptor.datagrams, "\(descriptor.name)")
            #expect(service.makeDatagramHandlers().count == (descriptor.datagrams ? 1 : 0), "\(descriptor.name)")
        }
    }
}

/// `replyOnConnect` is what the daemon sends straight from the accepted socket; it must be byte for byte what the
/// service's stream handlers send, and only services that send one reply and close may have it.
@Suite struct ReplyOnConnectTests {
    @Test(
        arguments: [
            (ServiceDescriptor.daytime, [:]),
            (.daytime, ["format": "rfc3339", "zone": "Test/Plus0530"]),
            (.daytime, ["format": "rfc2822"]),
            (.time, [:]),
            (.qotd, [:]),
            (.qotd, ["select": "random"]),
        ] as [(ServiceDescriptor, [String: String])]
    )
    func isWhatTheStreamHandlersSend(descriptor: ServiceDescriptor, options: [String: String]) throws {
        let service = try instance(descriptor, options)
        let reply = try #require(service.replyOnConnect?(ByteBufferAllocator()))

        let channel = try streamChannel(service.makeStreamHandlers())
        try channel.connect(to: client).wait()
        channel.embeddedEventLoop.run()
        #expect(try drainOutbound(channel) == bytes(reply))
        #expect(!channel.isActive)
        #expect(!bytes(reply).isEmpty)
    }

    @Test func isNilWhenTheClockIsUnknownAsTheStreamSendsNothing() throws {
        let environment = testEnvironment(time: nil)
        let service = try ServiceDescriptor.time.makeInstance(options: ServiceOptions(), environment: environment)
        let hook = try #require(service.replyOnConnect)
        #expect(hook(ByteBufferAllocator()) == nil)
    }

    @Test func onlyTheOneShotServicesHaveIt() throws {
        let oneShot = try ServiceCatalog.all.filter { try instance($0).replyOnConnect != nil }.map(\.name)
        #expect(oneShot == ["daytime", "time", "qotd"])
    }
}
