import NIOCore
import WellKnownCalendar
import WellKnownLogging

/// The socket-pair lines of one UDP socket's datagrams in wellknownd's own format, cut once into what is the same
/// on every line (the frame up to the message, the service and protocol, the keys, a bound server's address), so
/// that a line is the clock, a few copies and the fields that change: the client, the destination, the sizes.
/// Written field by field through the formatter (`DatagramRecord`), the line was about two thirds of a datagram's
/// instructions in bursts (bench/PROFILES.md). The bytes are the formatter's, piece for piece: DatagramLineTests
/// compares the two. For one thread: a `DatagramLoop`'s.
final class DatagramLine {
    private let format: LogFormat
    private let timed: Bool
    private let timestamps = LogTimestamps()
    private let now: () -> WallClockTime
    private let localPort: Int
    /// The journal's priority, `ts=` or `{"ts":"`.
    private let opening: [UInt8]
    /// From the timestamp's end to the client's address.
    private let lead: [UInt8]
    private let serverKey: [UInt8]
    private let bytesInKey: [UInt8]
    private let boundServer: [UInt8]
    private let bytesOutKey: [UInt8]
    private let sentEnd: [UInt8]
    private let noneEnd: [UInt8]
    /// The run of the last client (`DatagramBatch.sourceRun(of:)`) and its field as written: a client sends its
    /// datagrams in runs, and formatting its address and port is a large part of the line (bench/PROFILES.md); a
    /// run's later lines copy it instead.
    private var lastClientRun: UInt64?
    private let lastClientField = LogBytes(capacity: 64)

    init(
        format: LogFormat,
        journal: Bool,
        service: String,
        localPort: Int,
        boundServer: String,
        now: @escaping () -> WallClockTime = LogTimestamps.now
    ) {
        self.format = format
        self.now = now
        self.timed = !journal
        self.localPort = localPort
        func piece(_ write: (LogBytes, inout LogFieldWriter) -> Void) -> [UInt8] {
            let out = LogBytes(capacity: 64)
            var fields = LogFieldWriter(format: format, out: out)
            write(out, &fields)
            return out.bytes
        }
        self.opening = piece { out, _ in
            LogLineFormatter.appendOpening(level: .info, format: format, journal: journal, timed: !journal, to: out)
        }
        self.lead = piece { out, fields in
            LogLineFormatter.appendLevel(
                .info,
                message: DatagramRecord.message.description,
                format: format,
                timed: !journal,
                to: out
            )
            DatagramRecord.writeLead(service: service, to: &fields)
        }
        self.serverKey = piece { $1.key("server") }
        self.bytesInKey = piece { $1.key("bytes_in") }
        self.boundServer = piece { DatagramRecord.writeBoundServer(boundServer, to: &$1) }
        self.bytesOutKey = piece { $1.key("bytes_out") }
        self.sentEnd = piece { out, fields in
            DatagramRecord.writeReply(sent: true, to: &fields)
            LogLineFormatter.appendClosing(format: format, to: out)
        }
        self.noneEnd = piece { out, fields in
            DatagramRecord.writeReply(sent: false, to: &fields)
            LogLineFormatter.appendClosing(format: format, to: out)
        }
    }

    /// The clock the lines are stamped with: a `DatagramLoop` reads it once per burst.
    func time() -> WallClockTime { self.now() }

    /// Appends the line of one datagram, as `DatagramRecord.write` would have it; `bytesOut` nil when no reply went
    /// out. `clientRun`: the run of datagrams from one client this one belongs to, whose lines share the client's
    /// field; nil to format it afresh. `time`: the line's stamp, if the caller has read the clock already (`time()`);
    /// nil to read it now.
    func append(
        client: SocketAddress,
        clientRun: UInt64? = nil,
        destination: SocketAddress?,
        bytesIn: Int,
        bytesOut: Int?,
        at time: WallClockTime? = nil,
        to out: LogBytes
    ) {
        out.append(contentsOf: self.opening)
        if self.timed {
            self.timestamps.append(time ?? self.now(), to: out)
        }
        out.append(contentsOf: self.lead)
        var fields = LogFieldWriter(format: self.format, out: out)
        if let clientRun, clientRun == self.lastClientRun {
            self.lastClientField.withUnsafeBytes { out.append(contentsOf: $0) }
        } else {
            let start = out.count
            fields.addressValue(client)
            self.lastClientRun = clientRun
            self.lastClientField.removeAll()
            out.withUnsafeBytes {
                self.lastClientField.append(contentsOf: UnsafeRawBufferPointer(rebasing: $0[start...]))
            }
        }
        if let destination {
            out.append(contentsOf: self.serverKey)
            fields.addressValue(destination, port: self.localPort)
            out.append(contentsOf: self.bytesInKey)
        } else {
            out.append(contentsOf: self.boundServer)
        }
        fields.intValue(bytesIn)
        out.append(contentsOf: self.bytesOutKey)
        fields.intValue(bytesOut ?? 0)
        // Not a conditional expression: that copies the array it picks, a retain and a release per line.
        if bytesOut == nil {
            out.append(contentsOf: self.noneEnd)
        } else {
            out.append(contentsOf: self.sentEnd)
        }
    }
}
