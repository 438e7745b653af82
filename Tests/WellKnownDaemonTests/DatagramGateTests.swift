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

@Suite struct DatagramGateTests {
    func exchange(_ service: ServiceDescriptor, payload: [UInt8], packetInfo: NIOPacketInfo?) throws -> (
        CapturedLogs.Record?, ServiceCounters
    ) {
        let logs = CapturedLogs()
        let counters = ServiceCounters(service: service.name, transport: .udp)
        let channel = EmbeddedChannel()
        try channel.pipeline.syncOperations.addHandler(DatagramGate(counters: counters, logger: logs.logger()))
        try channel.pipeline.syncOperations.addHandlers(
            service.makeInstance(options: .init(), environment: SystemEnvironment.live).makeDatagramHandlers()
        )
        channel.localAddress = try SocketAddress(ipAddress: "::", port: 6007)
        try channel.connect(to: try #require(peer)).wait()
        let envelope = AddressedEnvelope(
            remoteAddress: try #require(peer),
            data: ByteBuffer(bytes: payload),
            metadata: packetInfo.map { .init(ecnState: .transportNotCapable, packetInfo: $0) }
        )
        try channel.writeInbound(envelope)
        _ = try? channel.finish()
        return (logs.all.last { $0.message == "datagram" }, counters)
    }

    @Test func answeredDatagramNamesTheRealDestinationAndBothSizes() throws {
        let destination = try SocketAddress(ipAddress: "::ffff:127.0.0.5", port: 0)
        let (record, counters) = try exchange(
            .echo,
            payload: Array("ping".utf8),
            packetInfo: NIOPacketInfo(destinationAddress: destination, interfaceIndex: 1)
        )
        let r = try #require(record)
        #expect(r.metadata["client"] == "198.51.100.7:40001")
        #expect(r.metadata["server"] == "127.0.0.5:6007", "the wildcard socket's real local address, unmapped")
        #expect(r.metadata["bytes_in"] == "4")
        #expect(r.metadata["bytes_out"] == "4")
        #expect(r.metadata["reply"] == "sent")
        #expect(counters.accepted.load(ordering: .relaxed) == 1)
        #expect(counters.replies.load(ordering: .relaxed) == 1)
    }

    @Test func unansweredDatagramIsLoggedToo() throws {
        let (record, counters) = try exchange(.discard, payload: [1, 2, 3], packetInfo: nil)
        let r = try #require(record)
        #expect(r.metadata["reply"] == "none")
        #expect(r.metadata["bytes_out"] == "0")
        #expect(r.metadata["server"] == "[::]:6007", "without packet info, the bound address")
        #expect(counters.replies.load(ordering: .relaxed) == 0)
    }
}
