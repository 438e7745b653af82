import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import Testing
import WellKnownConfig
import WellKnownServices

@testable import WellKnownDaemon

@Suite struct DatagramGuardTests {
    func state(
        _ settings: UDPGuardConfiguration = UDPGuardConfiguration(),
        ownPorts: Set<Int> = [6007],
        maximumSources: Int = 65536,
        clock: ManualClock = ManualClock()
    ) -> DatagramGuardState {
        DatagramGuardState(settings: settings, ownPorts: ownPorts, maximumSources: maximumSources) { clock.now }
    }

    @Test(
        arguments: [
            ("127.0.0.1", 0, DatagramDropReason.sourcePortZero),
            ("127.0.0.1", 19, .deniedSourcePort),
            ("::1", 7, .deniedSourcePort),
            ("198.51.100.9", 11211, .deniedSourcePort),
            ("127.0.0.1", 6007, .ownPort),  // our own UDP port: another echo, or a loop
            ("0.0.0.0", 40000, .martianSource),
            ("224.0.0.1", 40000, .martianSource),
            ("239.255.255.250", 40000, .martianSource),
            ("255.255.255.255", 40000, .martianSource),
            ("::", 40000, .martianSource),
            ("ff02::1", 40000, .martianSource),
            ("::ffff:224.0.0.9", 40000, .martianSource),  // v4-mapped judged as IPv4
            ("::ffff:255.255.255.255", 40000, .martianSource),
        ] as [(String, Int, DatagramDropReason)]
    )
    func sourcesThatCannotBeGenuineAreRefused(ip: String, port: Int, reason: DatagramDropReason) throws {
        #expect(self.state().admit(from: try address(ip, port)) == reason)
    }

    @Test func portMapsHoldExactlyTheirPortsAtEveryWordBoundary() {
        let map = PortMap([0, 63, 64, 65535, 70000, -1])
        #expect([0, 63, 64, 65535].allSatisfy(map.contains))
        #expect(![1, 62, 65, 127, 128, 65534, 70000, -1].contains(where: map.contains))
    }

    @Test(arguments: ["127.0.0.1", "10.1.2.3", "198.51.100.9", "::1", "2001:db8::7", "::ffff:127.0.0.1"])
    func ordinaryClientsAreServed(ip: String) throws {
        #expect(self.state().admit(from: try address(ip, 40000)) == nil)
    }

    @Test func aBurstBeyondTheSourceRateIsCappedAndRefillsWithTime() throws {
        let clock = ManualClock()
        let guardState = self.state(UDPGuardConfiguration(perSourceRate: 2, perSourceBurst: 5), clock: clock)
        let source = try address("198.51.100.9", 40000)
        let answered = (0..<50).filter { _ in guardState.admit(from: source) == nil }.count
        #expect(answered == 5)
        #expect(guardState.admit(from: source) == .sourceRate)
        // Another port on the same host shares the bucket; another host has its own.
        #expect(guardState.admit(from: try address("198.51.100.9", 40001)) == .sourceRate)
        #expect(guardState.admit(from: try address("198.51.100.10", 40000)) == nil)
        clock.advance(.seconds(1))
        #expect((0..<10).filter { _ in guardState.admit(from: source) == nil }.count == 2)
    }

    /// A `DatagramLoop` admits a whole burst at the time it read once: the buckets fill by that time, not by the
    /// guard's clock at each datagram.
    @Test func aDatagramIsAdmittedAtTheTimeGivenForItsBurst() throws {
        let clock = ManualClock()
        let guardState = self.state(UDPGuardConfiguration(perSourceRate: 2, perSourceBurst: 5), clock: clock)
        let source = try address("198.51.100.9", 40000)
        let start = guardState.time()
        #expect(start == clock.now)
        #expect((0..<5).allSatisfy { _ in guardState.admit(from: source, at: start) == nil })
        clock.advance(.seconds(10))
        // The clock has moved on, the burst's time has not: nothing refilled.
        #expect(guardState.admit(from: source, at: start) == .sourceRate)
        #expect(guardState.admit(from: source, at: start + .seconds(1)) == nil, "a second later: two more tokens")
        #expect(guardState.admit(from: source, at: start + .seconds(1)) == nil)
        #expect(guardState.admit(from: source, at: start + .seconds(1)) == .sourceRate)
    }

    @Test func anIPv6SourceIsItsSlash64() throws {
        let guardState = self.state(UDPGuardConfiguration(perSourceRate: 1, perSourceBurst: 2))
        #expect(guardState.admit(from: try address("2001:db8:1:2::1", 1000)) == nil)
        #expect(guardState.admit(from: try address("2001:db8:1:2:ffff::9", 1000)) == nil)
        #expect(guardState.admit(from: try address("2001:db8:1:2:abcd::1", 1000)) == .sourceRate, "same /64")
        #expect(guardState.admit(from: try address("2001:db8:1:3::1", 1000)) == nil, "another /64")
    }

    @Test func theTotalBudgetCapsASpoofedFloodFromManySources() throws {
        let guardState = self.state(UDPGuardConfiguration(totalRate: 10, totalBurst: 100))
        var answered = 0
        for n in 0..<1000 {
            let source = try address("198.51.\(n / 250).\(n % 250 + 1)", 40000)
            if guardState.admit(from: source) == nil { answered += 1 }
        }
        #expect(answered == 100)
    }

    @Test func theSourceTableStaysBounded() throws {
        let clock = ManualClock()
        let guardState = self.state(maximumSources: 100, clock: clock)
        for n in 0..<1000 {
            _ = guardState.admit(from: try address("10.0.\(n / 250).\(n % 250 + 1)", 40000))
        }
        #expect(guardState.trackedSources <= 101, "100 sources and the shared overflow bucket")
        // Once they have been quiet long enough, their buckets are full and they can be forgotten.
        clock.advance(.seconds(10))
        _ = guardState.admit(from: try address("10.9.9.9", 40000))
        #expect(guardState.trackedSources <= 2)
    }

    @Test func beyondAFullTableNewSourcesShareOneBucketAndStayLimited() throws {
        let guardState = self.state(UDPGuardConfiguration(perSourceRate: 0.001, perSourceBurst: 3), maximumSources: 2)
        _ = guardState.admit(from: try address("10.0.0.1", 40000))
        _ = guardState.admit(from: try address("10.0.0.2", 40000))
        let answered = try (0..<50).filter { n in guardState.admit(from: try address("10.1.0.\(n + 1)", 40000)) == nil }
        #expect(answered.count == 3, "50 sources the table cannot hold get one burst between them")
    }

    @Test func runsFromSourcesInTurnEachTakeFromTheirOwnBucket() throws {
        // Runs are how clients send, and a run's bucket is found without a lookup after its second datagram: a
        // remembered place that outlived a run would charge the next source's datagrams to the wrong bucket.
        let guardState = self.state(UDPGuardConfiguration(perSourceRate: 0.001, perSourceBurst: 4))
        let sources = try ["10.0.0.1", "10.0.0.2", "10.0.0.3"].map { try address($0, 40000) }
        var answered = [0, 0, 0]
        for (round, run) in [(0, 3), (1, 1), (0, 3), (2, 5), (1, 2), (0, 1), (1, 4), (2, 1)].enumerated() {
            for _ in 0..<run.1 where guardState.admit(from: sources[run.0]) == nil {
                answered[run.0] += 1
            }
            #expect(guardState.trackedSources == Set([0, 1, 0, 2, 1, 0, 1, 2].prefix(round + 1)).count)
        }
        #expect(answered == [4, 4, 4], "7, 7 and 6 sent: each source its own burst of 4")
    }

    @Test func aFloodOfNewSourcesIntoAFullTablePurgesItAtMostOnceASecond() throws {
        let clock = ManualClock()
        var buckets = SourceBuckets(rate: 0.001, burst: 3, maximumSources: 100)
        for n in 0..<100 {
            #expect(buckets.take(try #require(SourceKey(try address("10.0.0.\(n + 1)", 1))), now: clock.now))
        }
        for n in 0..<1000 {
            _ = buckets.take(try #require(SourceKey(try address("10.1.\(n / 250).\(n % 250 + 1)", 1))), now: clock.now)
        }
        #expect(buckets.purges == 1, "every bucket was used and none is full: one pass, then the overflow bucket")
        #expect(buckets.buckets.count == 101)
        clock.advance(.milliseconds(999))
        _ = buckets.take(try #require(SourceKey(try address("10.2.0.1", 1))), now: clock.now)
        #expect(buckets.purges == 1)
        clock.advance(.milliseconds(1))
        _ = buckets.take(try #require(SourceKey(try address("10.2.0.2", 1))), now: clock.now)
        #expect(buckets.purges == 2)
    }

    @Test(arguments: [(0, 64), (1, 64), (64, 64), (100, 100), (1000, 1000)] as [(Int, Int)])
    func repliesAreCappedAtTheRequestSizeOrTheFloor(request: Int, limit: Int) {
        #expect(self.state().replyLimit(requestSize: request) == limit)
    }

    @Test func dropsAreSummarisedByReasonAndReset() throws {
        let guardState = self.state()
        for _ in 0..<3 { guardState.recordDrop(.deniedSourcePort, source: try address("127.0.0.1", 19)) }
        guardState.recordDrop(.martianSource, source: try address("224.0.0.1", 5))
        let summary = guardState.drops.take()
        #expect(summary.map(\.reason) == [.deniedSourcePort, .martianSource])
        #expect(summary.map(\.count) == [3, 1])
        #expect(summary.first?.example == "127.0.0.1:19")
        #expect(guardState.drops.take().isEmpty)
        #expect(guardState.drops.total.load(ordering: .relaxed) == 4)
    }

    @Test func inThePipelineDroppedDatagramsReachNeitherTheLogNorTheServiceAndRepliesAreCapped() throws {
        let logs = CapturedLogs()
        let guardState = self.state()
        let counters = ServiceCounters(service: "chargen", transport: .udp)
        let channel = EmbeddedChannel()
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(DatagramGate(counters: counters, logger: logs.logger(), guard: guardState))
        let environment = ServiceEnvironment(
            clock: .fixed(.init(secondsSinceEpoch: 0)),
            random: RandomSource { $0.upperBound }
        ) { _ in nil }
        try pipeline.addHandlers(
            try ServiceDescriptor.chargen.makeInstance(options: .init(), environment: environment)
                .makeDatagramHandlers()
        )
        try channel.connect(to: try address("127.0.0.1", 40000)).wait()

        try channel.writeInbound(
            AddressedEnvelope(remoteAddress: try address("127.0.0.1", 19), data: ByteBuffer(bytes: [1]))
        )
        #expect(try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self) == nil)
        #expect(logs.all.isEmpty, "no line per dropped datagram")
        #expect(counters.dropped.load(ordering: .relaxed) == 1)

        // chargen draws 512 bytes here; a 1-byte request may get 64.
        try channel.writeInbound(
            AddressedEnvelope(remoteAddress: try address("127.0.0.1", 40000), data: ByteBuffer(bytes: [1]))
        )
        let reply = try #require(try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self))
        #expect(reply.data.readableBytes == 64)
        #expect(Array(reply.data.readableBytesView) == Array(ChargenPattern.cycle.prefix(64)))
        #expect(logs.all.last?.metadata["bytes_out"] == "64", "the log tells the size actually sent")
        _ = try? channel.finish()
    }

    /// A quote is a whole message: where the cap would cut it, it is not sent, and the drop is counted and
    /// summarised as `reply-cap`; the log line says no reply went out. A quote under the cap goes out whole.
    @Test(arguments: [(0, "short\r\n"), (1, nil)] as [(Int64, String?)])
    func aWholeReplyOverTheCapIsDroppedNotCut(day: Int64, expected: String?) throws {
        let logs = CapturedLogs()
        let guardState = DatagramGuardState(settings: UDPGuardConfiguration(replyFloor: 16), ownPorts: [])
        let counters = ServiceCounters(service: "qotd", transport: .udp)
        // `select: daily` gives quote (day mod 2): "short" on day 0, the 40-byte one on day 1.
        let environment = ServiceEnvironment(
            clock: .fixed(.init(secondsSinceEpoch: day * 86_400)),
            random: .system
        ) { _ in nil }
        let quotes = "short\n%\n" + String(repeating: "long ", count: 8) + "\n"
        let service = try ServiceDescriptor.qotd.makeInstance(
            options: ServiceOptions(["quotes": .file(path: "/q", contents: quotes)]),
            environment: environment
        )
        let channel = EmbeddedChannel()
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(
            DatagramGate(
                counters: counters,
                logger: logs.logger(),
                guard: guardState,
                wholeReplies: service.wholeDatagramReplies
            )
        )
        try pipeline.addHandlers(service.makeDatagramHandlers())
        try channel.connect(to: try address("127.0.0.1", 40000)).wait()
        try channel.writeInbound(
            AddressedEnvelope(remoteAddress: try address("127.0.0.1", 40000), data: ByteBuffer(bytes: [1]))
        )
        channel.pipeline.fireChannelReadComplete()
        let reply = try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self).map { String(buffer: $0.data) }
        #expect(reply == expected)
        #expect(counters.dropped.load(ordering: .relaxed) == (expected == nil ? 1 : 0))
        #expect(guardState.drops.totalsByReason == (expected == nil ? "reply-cap:1" : "none"))
        #expect(logs.all.last?.metadata["reply"] == (expected == nil ? "none" : "sent"))
        _ = try? channel.finish()
    }
}
