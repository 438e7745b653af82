/// A set of ports, 0 to 65535, as 8 KiB of bits.
struct PortMap: Sendable {
    private var words = [UInt64](repeating: 0, count: 1024)

    init(_ ports: some Sequence<Int>) {
        for port in ports where (0...65535).contains(port) {
            self.words[port >> 6] |= 1 << UInt64(port & 63)
        }
    }

    func contains(_ port: Int) -> Bool {
        guard (0...65535).contains(port) else { return false }
        return self.words[port >> 6] & (1 << UInt64(port & 63)) != 0
    }
}
