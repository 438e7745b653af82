/// ASCII digits straight into a log line under construction, shared by the line formatter and the address strings.
extension Array where Element == UInt8 {
    public mutating func appendDecimal(_ value: Int) {
        if value < 0 {
            self.append(UInt8(ascii: "-"))
        }
        var rest = value.magnitude
        if rest < 10 {
            self.append(UInt8(ascii: "0") + UInt8(rest))
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
        for shift in [24, 16, 8, 0] as [UInt32] {
            self.appendDecimal(Int((value >> shift) & 0xFF))
            if shift > 0 { self.append(UInt8(ascii: ".")) }
        }
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
        for divisor in [1000, 100, 10, 1] {
            self.append(UInt8(ascii: "0") + UInt8(fraction / divisor % 10))
        }
    }
}
