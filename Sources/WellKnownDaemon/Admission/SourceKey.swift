import NIOCore
import WellKnownLogging

/// Who a datagram is from, for rate limiting: an IPv4 address, or the /64 of an IPv6 one. nil for sources that
/// cannot be genuine (unspecified, multicast, broadcast or reserved).
struct SourceKey: Hashable, Sendable {
    private let high: UInt64
    private let low: UInt64

    static let overflow = SourceKey(high: .max, low: .max)

    private init(high: UInt64, low: UInt64) {
        self.high = high
        self.low = low
    }

    /// `borrowing`: an initialiser takes its arguments owned, which cost every datagram a retain and a release.
    init?(_ address: borrowing SocketAddress) {
        if let ipv4 = address.ipv4Value {
            // 0.0.0.0/8 (this network), 224.0.0.0/4 (multicast) and 240.0.0.0/4 (reserved, with 255.255.255.255)
            // are refused; loopback and private ranges are ordinary clients.
            let first = ipv4 >> 24
            guard first != 0, first < 224 else { return nil }
            self.init(high: 0, low: UInt64(ipv4))
        } else if let (high, low) = address.ipv6Halves {
            // :: (unspecified) and ff00::/8 (multicast) are never a client.
            guard high != 0 || low != 0, high >> 56 != 0xFF else { return nil }
            self.init(high: high, low: 1)
        } else {
            self.init(high: 0, low: 2)
        }
    }
}
