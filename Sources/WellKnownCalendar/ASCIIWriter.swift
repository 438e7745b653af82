/// Appends ASCII text to a byte array: the fields of a date line, without Foundation's formatters.
public struct ASCIIWriter: Sendable {
    public private(set) var bytes: [UInt8]

    public init(capacity: Int = 64) {
        self.bytes = []
        self.bytes.reserveCapacity(capacity)
    }

    public mutating func append(_ text: String) {
        self.bytes.append(contentsOf: text.utf8)
    }

    public mutating func append(byte: UInt8) {
        self.bytes.append(byte)
    }

    /// `value` in decimal, left-padded with `pad` to at least `width` digits (negative values get a '-').
    public mutating func append(_ value: Int, width: Int, pad: UInt8 = UInt8(ascii: "0")) {
        var magnitude = value.magnitude
        var digits: [UInt8] = []
        repeat {
            digits.append(UInt8(ascii: "0") + UInt8(magnitude % 10))
            magnitude /= 10
        } while magnitude > 0
        if value < 0 {
            self.bytes.append(UInt8(ascii: "-"))
        }
        if digits.count < width {
            self.bytes.append(contentsOf: repeatElement(pad, count: width - digits.count))
        }
        self.bytes.append(contentsOf: digits.reversed())
    }
}

extension ASCIIWriter {
    /// `00:04:48`
    public mutating func appendClock(_ civil: CivilTime) {
        self.append(civil.hour, width: 2)
        self.append(":")
        self.append(civil.minute, width: 2)
        self.append(":")
        self.append(civil.second, width: 2)
    }

    /// `2026-11-25T00:04:48`: the date and time of RFC 3339 without fraction or offset.
    public mutating func appendISO8601(_ civil: CivilTime) {
        self.append(civil.year, width: 4)
        self.append("-")
        self.append(civil.month, width: 2)
        self.append("-")
        self.append(civil.day, width: 2)
        self.append("T")
        self.appendClock(civil)
    }
}
