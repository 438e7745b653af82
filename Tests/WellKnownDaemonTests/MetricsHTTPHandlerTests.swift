import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOHTTP1
import Testing

@testable import WellKnownDaemon

/// The endpoint's route and bounds on an EmbeddedChannel: the pipeline a scrape connection gets.
@Suite struct MetricsHTTPHandlerTests {
    final class Outcomes: Sendable {
        let all = NIOLockedValueBox<[String]>([])
        let releases = NIOLockedValueBox(0)
    }

    static let body = Array("wellknownd_build_info{version=\"test\"} 1\n".utf8)

    func channel(timeout: TimeAmount = .seconds(10)) throws -> (EmbeddedChannel, Outcomes) {
        let outcomes = Outcomes()
        let channel = EmbeddedChannel()
        let answered: @Sendable (String) -> Void = { outcome in outcomes.all.withLockedValue { $0.append(outcome) } }
        let pipeline = channel.pipeline.syncOperations
        try pipeline.addHandler(
            MetricsConnectionBounds(
                timeout: timeout,
                answered: answered,
                released: { outcomes.releases.withLockedValue { $0 += 1 } }
            )
        )
        try pipeline.addHandler(HTTPResponseEncoder())
        try pipeline.addHandler(ByteToMessageHandler(HTTPRequestDecoder(leftOverBytesStrategy: .dropBytes)))
        try pipeline.addHandler(
            MetricsHTTPHandler(
                path: "/metrics",
                render: { Self.body },
                answered: answered,
                logger: Logger(label: "test")
            )
        )
        try channel.connect(to: try address("127.0.0.1", 40000)).wait()
        return (channel, outcomes)
    }

    /// Everything written back, as text.
    func response(_ channel: EmbeddedChannel) throws -> String {
        var bytes: [UInt8] = []
        while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
            bytes += buffer.readableBytesView
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    func exchange(_ request: String) throws -> (response: String, open: Bool, outcomes: [String]) {
        let (channel, outcomes) = try self.channel()
        _ = try? channel.writeInbound(ByteBuffer(string: request))
        let text = try self.response(channel)
        return (text, channel.isActive, outcomes.all.withLockedValue { $0 })
    }

    @Test func getOfThePathIsTheExpositionAndTheConnectionCloses() throws {
        let (response, open, outcomes) = try self.exchange("GET /metrics HTTP/1.1\r\nHost: x\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.contains("Content-Type: text/plain; version=0.0.4; charset=utf-8\r\n"))
        #expect(response.contains("Content-Length: \(Self.body.count)\r\n"))
        #expect(response.contains("Connection: close\r\n"))
        #expect(response.hasSuffix("\r\n\r\n" + String(decoding: Self.body, as: UTF8.self)))
        #expect(!open)
        #expect(outcomes == ["200"])
    }

    @Test func aQueryStringIsIgnoredAndHTTP10IsAnswered() throws {
        let (response, _, _) = try self.exchange("GET /metrics?x=1 HTTP/1.0\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
    }

    @Test func headHasTheLengthButNoBody() throws {
        let (response, open, outcomes) = try self.exchange("HEAD /metrics HTTP/1.1\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 200 OK\r\n"))
        #expect(response.contains("Content-Length: \(Self.body.count)\r\n"))
        #expect(response.hasSuffix("\r\n\r\n"))
        #expect(!open)
        #expect(outcomes == ["200"])
    }

    @Test func anotherPathIs404AndAnotherMethod405() throws {
        let notFound = try self.exchange("GET /metricsx HTTP/1.1\r\n\r\n")
        #expect(notFound.response.hasPrefix("HTTP/1.1 404 Not Found\r\n"))
        #expect(notFound.response.contains("Content-Length: 0\r\n"))
        #expect(!notFound.open)
        let post = try self.exchange("POST /metrics HTTP/1.1\r\nContent-Length: 3\r\n\r\nabc")
        #expect(post.response.hasPrefix("HTTP/1.1 405 Method Not Allowed\r\n"))
        #expect(post.response.contains("Allow: GET, HEAD\r\n"))
        #expect(post.outcomes == ["405"])
    }

    @Test func garbageIsA400() throws {
        let (response, open, outcomes) = try self.exchange("HELLO THERE\r\n\r\n")
        #expect(response.hasPrefix("HTTP/1.1 400 Bad Request\r\n"))
        #expect(!open)
        #expect(outcomes == ["400"])
    }

    @Test func moreThan8KiBOfRequestIs431AndNothingMoreIsRead() throws {
        let (channel, outcomes) = try self.channel()
        try channel.writeInbound(ByteBuffer(string: "GET /metrics HTTP/1.1\r\nX-Long: "))
        try channel.writeInbound(ByteBuffer(repeating: UInt8(ascii: "a"), count: 8192))
        let response = try self.response(channel)
        #expect(
            response == "HTTP/1.1 431 Request Header Fields Too Large\r\nContent-Length: 0\r\nConnection: close\r\n\r\n"
        )
        #expect(!channel.isActive)
        #expect(outcomes.all.withLockedValue { $0 } == ["431"])
        #expect(outcomes.releases.withLockedValue { $0 } == 1)
    }

    @Test func aRequestThatNeverEndsIsA408AfterTheTimeout() throws {
        let (channel, outcomes) = try self.channel(timeout: .seconds(2))
        try channel.writeInbound(ByteBuffer(string: "GET /metrics HTTP/1.1\r\nHost:"))
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(1900))
        #expect(channel.isActive)
        #expect(try self.response(channel).isEmpty)
        channel.embeddedEventLoop.advanceTime(by: .milliseconds(200))
        #expect(try self.response(channel).hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(!channel.isActive)
        #expect(outcomes.all.withLockedValue { $0 } == ["408"])
        #expect(outcomes.releases.withLockedValue { $0 } == 1)
    }

    @Test func aFinishedExchangeCancelsItsTimerAndReleasesItsPlaceOnce() throws {
        let (channel, outcomes) = try self.channel(timeout: .seconds(2))
        try channel.writeInbound(ByteBuffer(string: "GET /metrics HTTP/1.1\r\n\r\n"))
        channel.embeddedEventLoop.advanceTime(by: .seconds(5))
        #expect(outcomes.all.withLockedValue { $0 } == ["200"])
        #expect(outcomes.releases.withLockedValue { $0 } == 1)
    }

    /// Fuzz: random bytes, in random pieces, some of them near-requests. Whatever arrives, at most one answer is
    /// written, every answer is a well-formed status line, the connection is closed once answered, and the place is
    /// given back exactly once.
    @Test func randomInputGetsAtMostOneAnswer() throws {
        var generator = SystemRandomNumberGenerator()
        let pieces = [
            "GET ", "HEAD ", "POST ", "/metrics", "/", " HTTP/1.1", " HTTP/1.0", "\r\n", "\r\n\r\n", "Host: x",
            "Content-Length: 5", "Transfer-Encoding: chunked", "\u{0}", "\u{ff}", ":", " ",
        ]
        for _ in 0..<400 {
            let (channel, outcomes) = try self.channel()
            var input: [UInt8] = []
            for _ in 0..<Int.random(in: 1...12, using: &generator) {
                if Bool.random(using: &generator) {
                    input += Array(pieces.randomElement(using: &generator)?.utf8 ?? "".utf8)
                } else {
                    input += (0..<Int.random(in: 0...64, using: &generator)).map { _ in
                        UInt8.random(in: 0...255, using: &generator)
                    }
                }
            }
            var offset = 0
            while offset < input.count, channel.isActive {
                let size = Int.random(in: 1...max(1, input.count - offset), using: &generator)
                _ = try? channel.writeInbound(ByteBuffer(bytes: input[offset..<(offset + size)]))
                offset += size
            }
            let response = try self.response(channel)
            let answers = outcomes.all.withLockedValue { $0 }
            #expect(answers.count <= 1, "\(input)")
            #expect(response.components(separatedBy: "HTTP/1.1 ").count - 1 == answers.count, "\(input)")
            if !answers.isEmpty {
                #expect(!channel.isActive)
            }
            _ = try? channel.close().wait()
            #expect(outcomes.releases.withLockedValue { $0 } == 1)
        }
    }
}
