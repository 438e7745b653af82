/// RFC 864: the 95 printable characters (32...126) as a ring, 72 to a line followed by CR LF, each line starting one
/// character further round the ring. The first line may start anywhere (the RFC does not say where; BSD starts with
/// the space), but each one after it must follow.
public enum ChargenCheck {
    static let ringSize = 95
    static let lineLength = 72

    /// Where `bytes` (which begin at the start of a line) first break the pattern, or nil.
    public static func firstBreak(_ bytes: [UInt8]) -> (offset: Int, expected: UInt8, found: UInt8)? {
        guard let first = bytes.first else { return nil }
        guard (32...126).contains(first) else { return (0, 32, first) }
        let start = Int(first) - 32
        for (offset, byte) in bytes.enumerated() {
            let line = offset / (Self.lineLength + 2)
            let column = offset % (Self.lineLength + 2)
            let expected: UInt8
            switch column {
            case Self.lineLength: expected = UInt8(ascii: "\r")
            case Self.lineLength + 1: expected = UInt8(ascii: "\n")
            default: expected = UInt8(32 + (start + line + column) % Self.ringSize)
            }
            if byte != expected {
                return (offset, expected, byte)
            }
        }
        return nil
    }

    /// A stream of `bytes` (as many as asked for) or one datagram (any length up to 512, RFC 864).
    public static func verify(_ bytes: [UInt8], datagram: Bool) -> Verdict {
        if datagram && bytes.count > 512 {
            return .wrong("a \(bytes.count)-byte datagram: RFC 864 allows 0 to 512")
        }
        if let broken = Self.firstBreak(bytes) {
            let line = broken.offset / (Self.lineLength + 2) + 1
            return .wrong(
                "byte \(broken.offset) (line \(line)) breaks the RFC 864 ring: expected "
                    + "\(ByteDescription.of(broken.expected)), got \(ByteDescription.of(broken.found))"
            )
        }
        let lines = bytes.count / (Self.lineLength + 2)
        return .ok(
            datagram
                ? "\(bytes.count) bytes of the pattern"
                : "\(bytes.count) bytes, \(lines) full line\(lines == 1 ? "" : "s") of the ring"
        )
    }
}
