import NIOCore

/// Appends `key=value` (text, logfmt) or `,"key":value` (JSON) to a line under construction. A field is its key
/// and then its value, each also written alone by a line template (`DatagramLine`), which formats the constant
/// fields and keys of its lines once.
public struct LogFieldWriter {
    let format: LogFormat
    var out: LogBytes

    public init(format: LogFormat, out: LogBytes) {
        self.format = format
        self.out = out
    }

    /// ` key=` or `,"key":`: what comes before a field's value.
    public mutating func key(_ key: StaticString) {
        switch self.format {
        case .text:
            self.out.append(UInt8(ascii: " "))
            self.out.appendLiteral(key)
            self.out.append(UInt8(ascii: "="))
        case .json:
            self.out.appendLiteral(",\"")
            self.out.appendLiteral(key)
            self.out.appendLiteral("\":")
        }
    }

    /// Any text: quoted and escaped where it has to be.
    public mutating func string(_ key: StaticString, _ value: String) {
        self.key(key)
        self.stringValue(value)
    }

    public mutating func stringValue(_ value: String) {
        switch self.format {
        case .text: LogLineFormatter.appendLogfmtValue(value, to: &self.out)
        case .json: LogLineFormatter.appendJSONString(value, to: &self.out)
        }
    }

    /// A word known to need no quoting or escaping (`tcp`, `client`, `sent`).
    public mutating func token(_ key: StaticString, _ value: String) {
        self.key(key)
        self.tokenValue(value)
    }

    public mutating func tokenValue(_ value: String) {
        if self.format == .json { self.out.append(UInt8(ascii: "\"")) }
        self.out.append(contentsOf: value.utf8)
        if self.format == .json { self.out.append(UInt8(ascii: "\"")) }
    }

    public mutating func int(_ key: StaticString, _ value: Int) {
        self.key(key)
        self.intValue(value)
    }

    /// A number, bare in both formats.
    public mutating func intValue(_ value: Int) {
        self.out.appendDecimal(value)
    }

    /// Seconds with four decimals, a number in JSON: `0.0003`.
    public mutating func seconds(_ key: StaticString, _ amount: TimeAmount) {
        self.key(key)
        self.out.appendSeconds(nanoseconds: amount.nanoseconds)
    }

    /// `127.0.0.1:53422` or `[::1]:6013` (v4-mapped addresses unmapped), `port` replacing the address's own; paths
    /// and the rest through `string`.
    public mutating func address(_ key: StaticString, _ address: SocketAddress?, port: Int? = nil) {
        self.key(key)
        self.addressValue(address, port: port)
    }

    public mutating func addressValue(_ address: SocketAddress?, port: Int? = nil) {
        guard let address else {
            self.tokenValue("?")
            return
        }
        guard let ipv4 = address.ipv4Value else {
            self.stringValue(address.logDescription(port: port ?? address.port ?? 0))
            return
        }
        if self.format == .json { self.out.append(UInt8(ascii: "\"")) }
        self.out.appendDottedQuad(ipv4, port: port ?? address.port ?? 0)
        if self.format == .json { self.out.append(UInt8(ascii: "\"")) }
    }
}
