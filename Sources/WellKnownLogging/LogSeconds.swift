import NIOCore

/// A duration in seconds with four decimals (`0.0123`), formatted without Foundation; a number in JSON logs.
public struct LogSeconds: CustomStringConvertible, Sendable {
    let amount: Int64  // nanoseconds

    public init(_ amount: TimeAmount) {
        self.amount = amount.nanoseconds
    }

    public var description: String {
        var out: [UInt8] = []
        out.appendSeconds(nanoseconds: self.amount)
        return String(decoding: out, as: UTF8.self)
    }
}
