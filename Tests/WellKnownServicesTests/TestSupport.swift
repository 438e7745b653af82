import NIOCore
import NIOEmbedded
import Synchronization
import WellKnownCalendar
import WellKnownServices

#if canImport(Glibc)
import Glibc
#endif

/// 2026-11-25T00:04:48Z, a Wednesday.
let fixedTime = WallClockTime(secondsSinceEpoch: 1_795_565_088)

let client = SocketAddress(ipv4Octets: (198, 51, 100, 7), port: 40000)

func testEnvironment(
    time: WallClockTime? = fixedTime,
    random: RandomSource = RandomSource { $0.upperBound }
) -> ServiceEnvironment {
    ServiceEnvironment(
        clock: WallClock { time },
        random: random,
        timeZone: { name in
            switch name {
            case "UTC", "local": return FixedOffsetZone.utc
            case "Test/Plus0530": return FixedOffsetZone(UTCOffset(seconds: 19800, abbreviation: "IST"))
            default: return nil
            }
        }
    )
}

func instance(_ descriptor: ServiceDescriptor, _ options: [String: String] = [:]) throws -> ServiceInstance {
    try descriptor.makeInstance(options: ServiceOptions(text: options), environment: testEnvironment())
}

/// A connected TCP channel running the service's stream handlers.
func streamChannel(_ handlers: [any ChannelHandler]) throws -> EmbeddedChannel {
    let channel = EmbeddedChannel()
    try channel.pipeline.syncOperations.addHandlers(handlers)
    return channel
}

func bytes(_ buffer: ByteBuffer?) -> [UInt8] {
    buffer.map { Array($0.readableBytesView) } ?? []
}

/// Everything written so far, concatenated.
func drainOutbound(_ channel: EmbeddedChannel) throws -> [UInt8] {
    var all: [UInt8] = []
    while let buffer = try channel.readOutbound(as: ByteBuffer.self) {
        all += bytes(buffer)
    }
    return all
}

func datagram(_ payload: [UInt8], from remote: SocketAddress = client) -> AddressedEnvelope<ByteBuffer> {
    AddressedEnvelope(remoteAddress: remote, data: ByteBuffer(bytes: payload))
}

extension SocketAddress {
    /// Builds an IPv4 address from octets, with no parsing that could fail.
    init(ipv4Octets o: (UInt8, UInt8, UInt8, UInt8), port: Int) {
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = (UInt32(o.0) << 24 | UInt32(o.1) << 16 | UInt32(o.2) << 8 | UInt32(o.3)).bigEndian
        self.init(address, host: "")
    }
}

/// A clock a test moves by hand.
final class TestClock: Sendable {
    private let time: Mutex<WallClockTime>

    init(_ time: WallClockTime) {
        self.time = Mutex(time)
    }

    var now: WallClockTime {
        get { self.time.withLock { $0 } }
        set { self.time.withLock { $0 = newValue } }
    }
}
