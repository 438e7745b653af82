import Foundation
import Logging
import NIOCore
import Testing
import WellKnownCalendar

@testable import WellKnownLogging

#if canImport(Glibc)
import Glibc
#endif

let stamp = WallClockTime(secondsSinceEpoch: 1_795_565_088, nanoseconds: 7_000_000)  // 2026-11-25T00:04:48.007Z

let connectionMetadata: Logger.Metadata = [
    "end": "client", "bytes_out": "5", "service": "echo", "server": "127.0.0.1:6007", "proto": "tcp",
    "client": "127.0.0.1:53422", "duration": "0.0012", "bytes_in": "5",
]

func line(_ format: LogFormat, journal: Bool = false, message: String = "connection", _ metadata: Logger.Metadata)
    -> String
{
    let bytes = LogLineFormatter.formatLine(
        level: .info,
        message: message,
        metadata: metadata,
        format: format,
        journal: journal,
        time: journal ? nil : stamp
    )
    return String(decoding: bytes, as: UTF8.self)
}

/// A socket-pair record of the shape the daemon's recorders log, for tests of the logging module alone.
struct SampleRecord: LogRecordFields {
    let service: String
    let client: SocketAddress
    let bytesIn: Int

    func write(to fields: inout LogFieldWriter) {
        fields.string("service", self.service)
        fields.token("proto", "udp")
        fields.address("client", self.client)
        fields.int("bytes_in", self.bytesIn)
    }
}

/// wellknownd's handler writing through a `LogSink` into a pipe; `readEnd` is the pipe's other end.
func pipedLogger(
    format: LogFormat,
    level: Logger.Level,
    journal: Bool
) throws -> (sink: LogSink, logger: Logger, readEnd: Int32) {
    var fds: [Int32] = [0, 0]
    try #require(pipe(&fds) == 0)
    let sink = LogSink(descriptor: fds[1])
    let logger = Logger(label: "test") { label in
        WellKnownLogHandler(label: label, sink: sink, format: format, level: level, journal: journal)
    }
    return (sink, logger, fds[0])
}
