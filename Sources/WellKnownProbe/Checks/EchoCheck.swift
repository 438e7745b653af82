/// RFC 862: everything sent comes back, byte for byte.
public enum EchoCheck {
    /// The pattern a probe sends: printable, so that a capture or a log shows it, and not periodic within 95 bytes
    /// of any line, so that a shifted or repeated answer does not compare equal by chance.
    public static func pattern(size: Int) -> [UInt8] {
        (0..<size).map { (index: Int) -> UInt8 in
            let step: Int = index * 7 + index / 95
            return UInt8(33 + step % 94)
        }
    }

    public static func verify(sent: [UInt8], received: [UInt8]) -> Verdict {
        for index in 0..<min(sent.count, received.count) where sent[index] != received[index] {
            return .wrong(
                "byte \(index) differs: sent \(ByteDescription.of(sent[index])), got \(ByteDescription.of(received[index]))"
            )
        }
        if received.count < sent.count {
            return .wrong("\(received.count) of \(sent.count) bytes came back")
        }
        if received.count > sent.count {
            return .wrong("\(received.count) bytes came back for \(sent.count) sent")
        }
        return .ok("\(sent.count) bytes echoed")
    }
}
