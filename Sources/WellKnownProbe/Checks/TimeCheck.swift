/// RFC 868: four bytes, big-endian, the seconds since 1900-01-01 00:00 UTC, compared with the local clock.
public enum TimeCheck {
    /// Seconds from 1900 to 1970.
    static let unixOffset: Int64 = 2_208_988_800

    /// The Unix time a value stands for. 32 bits ran out on 2036-02-07: a value with its top bit clear is read as
    /// after that (the next era), as RFC 868 clients that know the date is after 1968 do.
    public static func unixTime(_ value: UInt32) -> Int64 {
        let seconds = Int64(value) + (value < 0x8000_0000 ? 1 << 32 : 0)
        return seconds - Self.unixOffset
    }

    /// `now`: the local clock (Unix seconds) when the answer came. `maxSkew`: seconds either way.
    public static func verify(_ bytes: [UInt8], now: Double, maxSkew: Double) -> Verdict {
        guard bytes.count == 4 else {
            return .wrong("\(bytes.count) bytes: RFC 868 sends exactly 4")
        }
        let value = bytes.reduce(UInt32(0)) { $0 << 8 | UInt32($1) }
        let skew = Double(Self.unixTime(value)) - now
        // The answer has whole seconds: up to one second behind is no skew.
        let effective = skew < 0 ? min(0, skew + 1) : skew
        let text = "\(value) (skew \(Self.seconds(skew)))"
        if abs(effective) > maxSkew {
            return .wrong("\(text), more than \(Self.seconds(maxSkew, signed: false)) off the local clock")
        }
        return .ok(text)
    }

    static func seconds(_ value: Double, signed: Bool = true) -> String {
        let rounded = (value * 10).rounded() / 10
        let sign = signed && rounded >= 0 ? "+" : ""
        return "\(sign)\(rounded) s"
    }
}
