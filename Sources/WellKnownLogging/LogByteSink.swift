/// Where the pieces of a log line go: a line under construction (`LogBytes`), or the bytes of an address string
/// (`[UInt8]`). The digits and literals are written once, here, for both.
public protocol LogByteSink {
    mutating func append(_ byte: UInt8)
    mutating func append(contentsOf bytes: UnsafeRawBufferPointer)
    /// A number in ASCII digits, `-` first if negative.
    mutating func appendDecimal(_ value: Int)
}

extension Array: LogByteSink where Element == UInt8 {}

/// ASCII digits straight into a log line under construction, shared by the line formatter and the address strings.
extension LogByteSink {
    public mutating func appendDecimal(_ value: Int) {
        if value < 0 {
            self.append(UInt8(ascii: "-"))
        }
        var rest = value.magnitude
        // Most numbers in a line are octets, sizes and ports: up to three digits byte by byte.
        if rest < 1000 {
            if rest >= 100 {
                self.append(UInt8(ascii: "0") + UInt8(rest / 100))
            }
            if rest >= 10 {
                self.append(UInt8(ascii: "0") + UInt8(rest / 10 % 10))
            }
            self.append(UInt8(ascii: "0") + UInt8(rest % 10))
            return
        }
        // Least significant digit first, into a buffer on the stack, then one copy: no recursion, no temporary
        // array (Int.min has 19 digits).
        var digits: (UInt64, UInt64, UInt64) = (0, 0, 0)
        Swift.withUnsafeMutableBytes(of: &digits) { buffer in
            var index = buffer.count
            repeat {
                index -= 1
                buffer[index] = UInt8(ascii: "0") + UInt8(rest % 10)
                rest /= 10
            } while rest > 0
            self.append(contentsOf: UnsafeRawBufferPointer(rebasing: buffer[index...]))
        }
    }

    /// Bytes of a literal, copied as they are: `out.appendLiteral("level=")`.
    public mutating func appendLiteral(_ literal: StaticString) {
        self.append(contentsOf: UnsafeRawBufferPointer(start: literal.utf8Start, count: literal.utf8CodeUnitCount))
    }

    /// `a.b.c.d`, or `a.b.c.d:port`, from `SocketAddress.ipv4Value`.
    public mutating func appendDottedQuad(_ value: UInt32, port: Int?) {
        self.appendDecimal(Int(value >> 24))
        self.append(UInt8(ascii: "."))
        self.appendDecimal(Int((value >> 16) & 0xFF))
        self.append(UInt8(ascii: "."))
        self.appendDecimal(Int((value >> 8) & 0xFF))
        self.append(UInt8(ascii: "."))
        self.appendDecimal(Int(value & 0xFF))
        if let port {
            self.append(UInt8(ascii: ":"))
            self.appendDecimal(port)
        }
    }

    /// Seconds with four decimals: `0.0003`, `1.5000`. Negative amounts are written as 0.
    public mutating func appendSeconds(nanoseconds: Int64) {
        let tenThousandths = Swift.max(0, nanoseconds) / 100_000
        self.appendDecimal(Int(tenThousandths / 10_000))
        self.append(UInt8(ascii: "."))
        let fraction = Int(tenThousandths % 10_000)
        self.append(UInt8(ascii: "0") + UInt8(fraction / 1000))
        self.append(UInt8(ascii: "0") + UInt8(fraction / 100 % 10))
        self.append(UInt8(ascii: "0") + UInt8(fraction / 10 % 10))
        self.append(UInt8(ascii: "0") + UInt8(fraction % 10))
    }
}
