import Foundation
import Logging
import NIOCore
import Testing
import WellKnownCalendar

@testable import WellKnownLogging

#if canImport(Glibc)
import Glibc
#endif

@Suite struct SocketAddressLogTests {
    @Test func addressesAreReadAsNumbersWithoutTheirBytes() throws {
        #expect(try SocketAddress(ipAddress: "198.51.100.7", port: 1).ipv4Value == 0xC633_6407)
        #expect(try SocketAddress(ipAddress: "::ffff:198.51.100.7", port: 1).ipv4Value == 0xC633_6407)
        #expect(try SocketAddress(ipAddress: "::1", port: 1).ipv4Value == nil)
        #expect(try SocketAddress(ipAddress: "::ffff:0:1.2.3.4", port: 1).ipv4Value == nil, "not v4-mapped")
        let halves = try #require(try SocketAddress(ipAddress: "2001:db8::ffff:1", port: 1).ipv6Halves)
        #expect(halves.high == 0x2001_0DB8_0000_0000)
        #expect(halves.low == 0x0000_0000_FFFF_0001)
        #expect(try SocketAddress(ipAddress: "127.0.0.1", port: 1).ipv6Halves == nil)
        var out: [UInt8] = []
        out.appendDottedQuad(0xC633_6407, port: 40000)
        #expect(String(decoding: out, as: UTF8.self) == "198.51.100.7:40000")
    }

    @Test func addressesAreWrittenWithTheirPortsAndMappedIPv4IsUnmapped() throws {
        #expect(try SocketAddress(ipAddress: "127.0.0.1", port: 6013).logDescription == "127.0.0.1:6013")
        #expect(try SocketAddress(ipAddress: "::1", port: 6013).logDescription == "[::1]:6013")
        #expect(try SocketAddress(ipAddress: "::ffff:198.51.100.9", port: 40000).logDescription == "198.51.100.9:40000")
        #expect(try SocketAddress(ipAddress: "2001:db8::ffff:1", port: 1).logDescription == "[2001:db8::ffff:1]:1")
        #expect(try SocketAddress(ipAddress: "::ffff:198.51.100.9", port: 0).logHost == "198.51.100.9")
    }
}
