import Foundation
import NIOCore
import NIOEmbedded
import Testing
import WellKnownServices

@Suite struct WhoAmITests {
    @Test func tcpTellsTheSocketPairAndClosesWithIPv4Unmapped() throws {
        let channel = try streamChannel(try instance(.whoami).makeStreamHandlers())
        channel.localAddress = try SocketAddress(ipAddress: "::1", port: 6099)
        channel.remoteAddress = try SocketAddress(ipAddress: "::ffff:198.51.100.7", port: 40001)
        channel.pipeline.fireChannelActive()
        #expect(
            String(decoding: try drainOutbound(channel), as: UTF8.self)
                == "proto=tcp client=198.51.100.7:40001 server=[::1]:6099\r\n"
        )
        #expect(!channel.isActive)
    }

    @Test func jsonIsOneObject() throws {
        let channel = try streamChannel(try instance(.whoami, ["format": "json"]).makeStreamHandlers())
        channel.localAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 6099)
        channel.remoteAddress = try SocketAddress(ipAddress: "127.0.0.1", port: 5)
        channel.pipeline.fireChannelActive()
        let line = try drainOutbound(channel)
        let object = try JSONSerialization.jsonObject(with: Data(line)) as? [String: String]
        #expect(object == ["proto": "tcp", "client": "127.0.0.1:5", "server": "127.0.0.1:6099"])
        #expect(line.suffix(2) == [13, 10])
    }

    @Test func udpAnswersEachDatagramWithItsRealDestinationAndOurPort() throws {
        let service = try instance(.whoami)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandlers(service.makeDatagramHandlers())
        channel.localAddress = try SocketAddress(ipAddress: "::", port: 6099)
        let destination = try SocketAddress(ipAddress: "::ffff:127.0.0.5", port: 0)
        try channel.writeInbound(
            AddressedEnvelope(
                remoteAddress: client,
                data: ByteBuffer(string: "anything"),
                metadata: .init(
                    ecnState: .transportNotCapable,
                    packetInfo: NIOPacketInfo(destinationAddress: destination, interfaceIndex: 1)
                )
            )
        )
        try channel.writeInbound(datagram([]))
        channel.pipeline.fireChannelReadComplete()
        let first = try #require(try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self))
        #expect(first.remoteAddress == client)
        #expect(String(buffer: first.data) == "proto=udp client=198.51.100.7:40000 server=127.0.0.5:6099\r\n")
        let second = try #require(try channel.readOutbound(as: AddressedEnvelope<ByteBuffer>.self))
        #expect(
            String(buffer: second.data) == "proto=udp client=198.51.100.7:40000 server=[::]:6099\r\n",
            "no packet info: the bound address"
        )
        #expect(service.wholeDatagramReplies)
    }

    @Test(arguments: [
        ("198.51.100.7", 1, "198.51.100.7:1"), ("::ffff:10.0.0.1", 2, "10.0.0.1:2"),
        ("2001:db8::1", 3, "[2001:db8::1]:3"),
        ("::1", 4, "[::1]:4"),
    ])
    func endpointsAreWrittenAsTheLogWritesThem(ip: String, port: Int, expected: String) throws {
        #expect(WhoAmIFormat.endpoint(try SocketAddress(ipAddress: ip, port: port)) == expected)
    }
}
