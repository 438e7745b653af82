import Foundation

/// The answers of qotd (RFC 865), tcpmux's HELP (RFC 1078), ident (RFC 1413), whoami (wellknownd's own) and discard
/// (RFC 863), judged as their RFCs define them.
public enum TextServiceCheck {
    /// RFC 865: "any short message", which "should be limited to 512 characters", in printable ASCII.
    public static func quote(_ bytes: [UInt8]) -> Verdict {
        guard !bytes.isEmpty else { return .wrong("an empty quote") }
        guard bytes.count <= 512 else { return .wrong("a \(bytes.count)-byte quote: RFC 865 asks for at most 512") }
        guard bytes.allSatisfy({ (0x20...0x7E).contains($0) || $0 == 0x0D || $0 == 0x0A || $0 == 0x09 }) else {
            return .wrong("not printable ASCII: \"\(ByteDescription.text(bytes))\"")
        }
        return .ok("\(bytes.count) bytes: \"\(ByteDescription.text(bytes, limit: 60))\"")
    }

    /// RFC 1078: HELP lists the service names, one per CRLF line, and the server closes.
    public static func tcpmuxHelp(_ bytes: [UInt8]) -> Verdict {
        let text = String(decoding: bytes, as: UTF8.self)
        if text.hasPrefix("-") {
            return .wrong("HELP was refused: \"\(ByteDescription.text(bytes))\"")
        }
        let names = text.split(separator: "\r\n", omittingEmptySubsequences: true).map(String.init)
        guard !names.isEmpty, text.hasSuffix("\r\n"),
            names.allSatisfy({ name in !name.isEmpty && name.utf8.allSatisfy { (0x21...0x7E).contains($0) } })
        else {
            return .wrong("not a list of service names, one per CRLF line: \"\(ByteDescription.text(bytes))\"")
        }
        return .ok("lists \(names.joined(separator: ", "))")
    }

    /// RFC 1413: `<port-on-server> , <port-on-client> : USERID : <os> : <id>` or `... : ERROR : <type>`, for the
    /// ports asked.
    public static func ident(_ bytes: [UInt8], serverPort: Int, clientPort: Int) -> Verdict {
        let text = String(decoding: bytes, as: UTF8.self)
        guard text.hasSuffix("\r\n") || text.hasSuffix("\n"),
            let m = text.trimmingSuffixNewline.wholeMatch(
                of: /\s*(\d+)\s*,\s*(\d+)\s*:\s*(USERID|ERROR)\s*:\s*(.*)/
            )
        else {
            return .wrong("not an RFC 1413 reply: \"\(ByteDescription.text(bytes))\"")
        }
        guard Int(m.1) == serverPort, Int(m.2) == clientPort else {
            return .wrong("the reply is about ports \(m.1),\(m.2), the query about \(serverPort),\(clientPort)")
        }
        return .ok("\(m.3) : \(m.4.trimmingCharacters(in: .whitespaces))")
    }

    /// whoami: the socket pair as the server saw it, in its text or JSON form, compared with what the client sees.
    /// A difference is no fault of the server: it is what lies between (NAT, a proxy), and the probe says so.
    public static func whoami(_ bytes: [UInt8], proto: String, local: String, remote: String) -> Verdict {
        let text = String(decoding: bytes, as: UTF8.self).trimmingSuffixNewline
        var fields: [String: String] = [:]
        if text.hasPrefix("{") {
            for match in text.matches(of: /"(proto|client|server)":"([^"]*)"/) {
                fields[String(match.1)] = String(match.2)
            }
        } else {
            for pair in text.split(separator: " ") {
                let parts = pair.split(separator: "=", maxSplits: 1)
                if parts.count == 2 { fields[String(parts[0])] = String(parts[1]) }
            }
        }
        guard let client = fields["client"], let server = fields["server"], fields["proto"] == proto else {
            return .wrong("not a whoami line for \(proto): \"\(ByteDescription.text(bytes))\"")
        }
        // An AF_UNIX client has no address of its own: the server says `unix`.
        if (client == local || (client == "unix" && !remote.contains(":"))) && server == remote {
            return .ok("the server saw the same socket pair")
        }
        return .ok("the server saw client=\(client) server=\(server): translated on the way (NAT or a proxy)")
    }

    /// RFC 863: nothing ever comes back.
    public static func discard(sent: Int, receivedBack: Int, datagram: Bool) -> Verdict {
        if receivedBack > 0 {
            return .wrong("\(receivedBack) bytes came back: a discard server sends nothing")
        }
        return datagram
            ? .ok("\(sent) bytes sent, nothing came back (a filter would look the same over UDP)")
            : .ok("\(sent) bytes accepted, nothing came back")
    }
}

extension String {
    /// Without its line ends. In Swift "\r\n" is one Character, so the bytes are looked at, not the characters.
    var trimmingSuffixNewline: String {
        var bytes = Array(self.utf8)
        while let last = bytes.last, last == 0x0A || last == 0x0D { bytes.removeLast() }
        return String(decoding: bytes, as: UTF8.self)
    }
}
