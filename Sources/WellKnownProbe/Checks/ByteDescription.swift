/// A byte as a person reads it in a verdict: `'A'`, `' '`, `\r`, `\n`, or `0x00`.
enum ByteDescription {
    static func of(_ byte: UInt8) -> String {
        switch byte {
        case UInt8(ascii: "\r"): return "\\r"
        case UInt8(ascii: "\n"): return "\\n"
        case 0x20...0x7E: return "'\(Character(UnicodeScalar(byte)))'"
        default: return "0x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
        }
    }

    /// Text received from a server, shown safely: printable ASCII as is, anything else escaped, cut to `limit`.
    static func text(_ bytes: some Collection<UInt8>, limit: Int = 80) -> String {
        var out = ""
        for byte in bytes.prefix(limit) {
            switch byte {
            case 0x20...0x7E where byte != UInt8(ascii: "\""): out.append(Character(UnicodeScalar(byte)))
            case UInt8(ascii: "\""): out += "\\\""
            case UInt8(ascii: "\r"): out += "\\r"
            case UInt8(ascii: "\n"): out += "\\n"
            case UInt8(ascii: "\t"): out += "\\t"
            default: out += "\\x" + (byte < 16 ? "0" : "") + String(byte, radix: 16)
            }
        }
        return bytes.count > limit ? out + "…" : out
    }
}
