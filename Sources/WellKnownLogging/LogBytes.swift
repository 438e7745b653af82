/// Log lines under construction, appended through a raw pointer that grows by doubling. A line is a few dozen
/// pieces of a few bytes each, and `Array.append(contentsOf:)` takes its generic Sequence path for every one of
/// them (a large share of a datagram line's formatting: bench/PROFILES.md); here a piece is a bounds check and a
/// memcpy. A class, so that the formatter's many small functions share one buffer without copy-on-write checks;
/// each thread formats into its own.
public final class LogBytes: LogByteSink {
    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    public private(set) var count = 0

    public init(capacity: Int = 256) {
        self.capacity = Swift.max(capacity, 16)
        self.base = .allocate(byteCount: self.capacity, alignment: 1)
    }

    deinit {
        self.base.deallocate()
    }

    @inline(__always)
    private func reserve(_ extra: Int) {
        if self.count + extra > self.capacity {
            self.grow(to: self.count + extra)
        }
    }

    private func grow(to needed: Int) {
        var capacity = self.capacity * 2
        while capacity < needed {
            capacity *= 2
        }
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 1)
        bigger.copyMemory(from: self.base, byteCount: self.count)
        self.base.deallocate()
        self.base = bigger
        self.capacity = capacity
    }

    @inline(__always)
    public func append(_ byte: UInt8) {
        self.reserve(1)
        self.base.storeBytes(of: byte, toByteOffset: self.count, as: UInt8.self)
        self.count += 1
    }

    @inline(__always)
    public func append(contentsOf bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        self.reserve(bytes.count)
        (self.base + self.count).copyMemory(from: source, byteCount: bytes.count)
        self.count += bytes.count
    }

    public func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        self.append(contentsOf: UnsafeRawBufferPointer(bytes))
    }

    public func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBytes { self.append(contentsOf: $0) }
    }

    /// The digits written in place after one capacity check, most significant last to first: octets, ports and
    /// sizes are most of the numbers in a line, and the protocol's digit by digit `append` checks capacity for each.
    public func appendDecimal(_ value: Int) {
        self.reserve(20)  // Int.min: a sign and 19 digits
        if value < 0 {
            self.base.storeBytes(of: UInt8(ascii: "-"), toByteOffset: self.count, as: UInt8.self)
            self.count += 1
        }
        var rest = value.magnitude
        var digits = 1
        var power: UInt = 10
        while digits < 19, rest >= power {
            digits += 1
            power &*= 10
        }
        var index = self.count + digits
        self.count = index
        repeat {
            index -= 1
            self.base.storeBytes(of: UInt8(ascii: "0") + UInt8(rest % 10), toByteOffset: index, as: UInt8.self)
            rest /= 10
        } while rest > 0
    }

    /// `a.b.c.d` or `a.b.c.d:port`, from `SocketAddress.ipv4Value`, in place after one capacity check, an octet
    /// a four-byte store from `octets`: a client's address is on every line.
    public func appendDottedQuad(_ value: UInt32, port: Int?) {
        self.reserve(16)
        let octets = Self.octets
        octets.withUnsafeBufferPointer { table in
            func octet(_ shift: UInt32, then separator: UInt8?) {
                let entry = table[Int((value >> shift) & 0xFF)]
                // The fourth byte, the length, lands past the digits: the next piece writes over it.
                self.base.storeBytes(of: entry.littleEndian, toByteOffset: self.count, as: UInt32.self)
                self.count += Int(entry >> 24)
                if let separator {
                    self.base.storeBytes(of: separator, toByteOffset: self.count, as: UInt8.self)
                    self.count += 1
                }
            }
            octet(24, then: UInt8(ascii: "."))
            octet(16, then: UInt8(ascii: "."))
            octet(8, then: UInt8(ascii: "."))
            octet(0, then: nil)
        }
        if let port {
            self.append(UInt8(ascii: ":"))
            self.appendDecimal(port)
        }
    }

    /// The ASCII digits of 0...255 in the low three bytes (first digit lowest), their count in the high one.
    private static let octets: [UInt32] = (0...255).map { octet in
        let digits = Array(String(octet).utf8)
        var entry = UInt32(digits.count) << 24
        for (i, digit) in digits.enumerated() {
            entry |= UInt32(digit) << (8 * UInt32(i))
        }
        return entry
    }

    /// A string's UTF-8, as it is: native strings in one copy.
    public func append(contentsOf utf8: String.UTF8View) {
        let copied: Void? = utf8.withContiguousStorageIfAvailable { self.append(contentsOf: $0) }
        if copied == nil {
            for byte in utf8 {
                self.append(byte)
            }
        }
    }

    /// Empties the buffer, keeping its memory.
    public func removeAll() {
        self.count = 0
    }

    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: self.base, count: self.count))
    }

    public var bytes: [UInt8] { self.withUnsafeBytes { Array($0) } }
}
