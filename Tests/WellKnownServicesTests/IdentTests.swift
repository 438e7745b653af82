import NIOCore
import NIOEmbedded
import Testing
import WellKnownServices

@Suite struct IdentTests {
    static let owner = ConnectionOwners.Owner(uid: 1000, user: "alice")

    /// A table that knows one connection: local port 6193, remote port 23.
    static let owners = ConnectionOwners { local, remote in
        local.port == 6193 && remote.port == 23 ? .owner(owner) : .noConnection
    }

    static func channel(_ mode: IdentReplyMode, owners: ConnectionOwners = Self.owners) throws -> EmbeddedChannel {
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(IdentStreamHandler(mode: mode, owners: owners))
        try channel.connect(to: client).wait()
        // After connect, which sets the remote address to what it connected to.
        channel.localAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 6113)
        channel.remoteAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 40000)
        return channel
    }

    static func ask(_ channel: EmbeddedChannel, _ text: String) throws -> String {
        try channel.writeInbound(ByteBuffer(string: text))
        channel.pipeline.fireChannelReadComplete()
        return String(decoding: try drainOutbound(channel), as: UTF8.self)
    }

    @Test(arguments: [
        (IdentReplyMode.hidden, "6193 , 23 : ERROR : HIDDEN-USER\r\n"), (.uid, "6193 , 23 : USERID : UNIX : 1000\r\n"),
        (.user, "6193 , 23 : USERID : UNIX : alice\r\n"),
    ])
    func eachReplyModeAnswersAnExistingConnection(mode: IdentReplyMode, reply: String) throws {
        #expect(try Self.ask(try Self.channel(mode), "6193, 23\r\n") == reply)
    }

    @Test func severalQueriesInOneReadAndOneSplitAcrossReads() throws {
        let channel = try Self.channel(.uid)
        #expect(
            try Self.ask(channel, "6193,23\r\n 6193 ,\t24 \n61")
                == "6193 , 23 : USERID : UNIX : 1000\r\n6193 , 24 : ERROR : NO-USER\r\n"
        )
        #expect(try Self.ask(channel, "93 , 23\r\n") == "6193 , 23 : USERID : UNIX : 1000\r\n")
        #expect(channel.isActive, "a connection may ask again")
    }

    @Test(arguments: ["0,23", "6193,65536", "a,b", "6193", "1,2,3", "", "-1, 5", "+1, 5"])
    func malformedQueriesGetInvalidPort(query: String) throws {
        let reply = try Self.ask(try Self.channel(.uid), query + "\r\n")
        #expect(reply.hasSuffix(" : ERROR : INVALID-PORT\r\n"), "\(reply)")
        #expect(!reply.dropLast(2).contains("\r"), "one line")
    }

    @Test func aUserWithoutANameIsAnsweredWithTheUID() throws {
        let owners = ConnectionOwners { _, _ in .owner(.init(uid: 4242, user: nil)) }
        #expect(try Self.ask(try Self.channel(.user, owners: owners), "1,2\r\n") == "1 , 2 : USERID : UNIX : 4242\r\n")
    }

    @Test func aFailedLookupIsAnUnknownError() throws {
        let owners = ConnectionOwners { _, _ in .unknown }
        #expect(try Self.ask(try Self.channel(.uid, owners: owners), "1,2\r\n") == "1 , 2 : ERROR : UNKNOWN-ERROR\r\n")
    }

    @Test func theLookupIsAboutTheAskersOwnAddressAndTheAddressAsked() throws {
        let seen = TestClock(.init(secondsSinceEpoch: 0))  // any Sendable box: records that the lookup ran
        let owners = ConnectionOwners { local, remote in
            let rightPair =
                local.ipAddress == "127.0.0.1" && local.port == 6193 && remote.ipAddress == "127.0.0.1"
                && remote.port == 23
            seen.now = .init(secondsSinceEpoch: rightPair ? 1 : 2)
            return .noConnection
        }
        _ = try Self.ask(try Self.channel(.uid, owners: owners), "6193,23\r\n")
        #expect(seen.now.secondsSinceEpoch == 1)
    }

    @Test func aLineOver1000BytesGetsAnErrorAndACloseAndIsNotKept() throws {
        let channel = try Self.channel(.uid)
        let handler = try channel.pipeline.syncOperations.handler(type: IdentStreamHandler.self)
        _ = try Self.ask(channel, String(repeating: "1", count: 999))
        #expect(handler.bufferedBytes == 999)
        let reply = try Self.ask(channel, "11")
        channel.embeddedEventLoop.run()
        #expect(reply == "0 , 0 : ERROR : UNKNOWN-ERROR\r\n")
        #expect(!channel.isActive)
        #expect(handler.bufferedBytes == 0)
    }

    /// Network input: random bytes never crash the parser, every reply is one well-formed line, and nothing beyond
    /// a line is ever held.
    @Test func randomQueriesGetWellFormedRepliesOnly() throws {
        var generator = SeededGenerator(seed: 1413)
        let alphabet: [UInt8] = Array("0123456789, \t\r\n:ab".utf8) + [0, 0xFF]
        for _ in 0..<300 {
            let channel = try Self.channel(.uid)
            let handler = try channel.pipeline.syncOperations.handler(type: IdentStreamHandler.self)
            let length = Int.random(in: 0...2500, using: &generator)
            let bytes = (0..<length).map { _ in alphabet[Int.random(in: 0..<alphabet.count, using: &generator)] }
            try channel.writeInbound(ByteBuffer(bytes: bytes))
            channel.pipeline.fireChannelReadComplete()
            #expect(handler.bufferedBytes <= IdentStreamHandler.maximumLineLength)
            let output = String(decoding: try drainOutbound(channel), as: UTF8.self)
            for line in output.split(separator: "\r\n") {
                #expect(line.contains(" : ERROR : ") || line.contains(" : USERID : UNIX : "), "\(line)")
            }
            _ = try? channel.finish()
        }
    }
}
