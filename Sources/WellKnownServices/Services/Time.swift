// time, RFC 868: exactly 4 bytes, big-endian, the seconds since 1900-01-01T00:00:00Z, "to make up for some
// seventy years Bell Labs was asleep". TCP sends and closes; UDP answers every datagram. When the clock is not
// known, TCP closes without sending and UDP stays silent, as the RFC asks.
//
// 32 bits run out at 2036-02-07T06:28:16Z (Unix time 2085978496); from then on we send the count modulo 2^32,
// so the value starts again from 0 and clients that assume the 1900 era will read dates in 1900. RFC 868 offers
// nothing better; clients that know the date is after 1968 can add 2^32 themselves when the top bit is clear.
import NIOCore

extension ServiceDescriptor {
    public static let time = ServiceDescriptor(
        name: "time",
        rfc: 868,
        wellKnownPort: 37,
        summary: "sends the time as 4 bytes: seconds since 1900, big-endian"
    ) { _, environment in
        .singleReply(name: "time", TimeReply(clock: environment.clock))
    }
}

public enum RFC868 {
    /// Seconds from 1900-01-01 to 1970-01-01: 70 years, 17 of them leap years.
    public static let epochOffset: Int64 = 2_208_988_800

    /// The RFC 868 value for a Unix time: seconds since 1900, modulo 2^32.
    public static func timestamp(secondsSinceEpoch: Int64) -> UInt32 {
        UInt32(truncatingIfNeeded: secondsSinceEpoch &+ epochOffset)
    }
}

public struct TimeReply: ReplyProducer, Sendable {
    public let clock: WallClock

    public init(clock: WallClock) {
        self.clock = clock
    }

    public mutating func reply(to request: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer? {
        guard let now = self.clock.now() else { return nil }
        var buffer = allocator.buffer(capacity: 4)
        buffer.writeInteger(RFC868.timestamp(secondsSinceEpoch: now.secondsSinceEpoch), endianness: .big)
        return buffer
    }
}
