import Foundation
import Logging
import NIOCore
import Testing
import WellKnownCalendar
import WellKnownServices

@testable import WellKnownDaemon
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

@Suite struct LogFormatTests {
    @Test func textLineIsLogfmtWithTheSocketPairInAFixedOrder() {
        #expect(
            line(.text, connectionMetadata)
                == "ts=2026-11-25T00:04:48.007Z level=info msg=connection service=echo proto=tcp client=127.0.0.1:53422 server=127.0.0.1:6007 duration=0.0012 bytes_in=5 bytes_out=5 end=client\n"
        )
    }

    @Test func jsonLineHasNumbersAsNumbers() throws {
        let text = line(.json, ["service": "echo", "bytes_in": .stringConvertible(5), "client": "[::1]:1"])
        #expect(
            text
                == "{\"ts\":\"2026-11-25T00:04:48.007Z\",\"level\":\"info\",\"msg\":\"connection\",\"service\":\"echo\",\"client\":\"[::1]:1\",\"bytes_in\":5}\n"
        )
        let object = try #require(try JSONSerialization.jsonObject(with: Data(text.utf8)) as? [String: Any])
        #expect(object["bytes_in"] as? Int == 5)
    }

    @Test func aSocketPairRecordIsWrittenFieldByFieldInBothFormats() throws {
        let record = ConnectionRecord(
            service: "echo",
            client: try SocketAddress(ipAddress: "::ffff:198.51.100.7", port: 40001),
            server: try SocketAddress(ipAddress: "::1", port: 6007),
            duration: .microseconds(1234),
            bytesIn: 5,
            bytesOut: 12_345_678_901,
            end: .client,
            peerCredentials: nil,
            error: "a \"quoted\" reason"
        )
        #expect(
            line(.text, record.metadata)
                == "ts=2026-11-25T00:04:48.007Z level=info msg=connection service=echo proto=tcp client=198.51.100.7:40001 server=[::1]:6007 duration=0.0012 bytes_in=5 bytes_out=12345678901 end=client error=\"a \\\"quoted\\\" reason\"\n"
        )
        let json = line(.json, record.metadata)
        let object = try #require(try JSONSerialization.jsonObject(with: Data(json.utf8)) as? [String: Any])
        #expect(object["client"] as? String == "198.51.100.7:40001")
        #expect(object["server"] as? String == "[::1]:6007")
        #expect(object["duration"] as? Double == 0.0012)
        #expect(object["bytes_out"] as? Int == 12_345_678_901)
        #expect(object["error"] as? String == "a \"quoted\" reason")
        #expect(object["fields"] == nil, "the record is expanded, not nested")
        // Another log handler gets the same fields as text.
        #expect(record.description.hasPrefix("service=echo proto=tcp client=198.51.100.7:40001 server=[::1]:6007 "))
    }

    @Test func theCachedTimestampFollowsTheClockAcrossSecondsAndBack() {
        func stamp(_ seconds: Int64, _ nanoseconds: Int32) -> String {
            var out: [UInt8] = []
            LogLineFormatter.appendTimestamp(
                WallClockTime(secondsSinceEpoch: seconds, nanoseconds: nanoseconds),
                to: &out
            )
            return String(decoding: out, as: UTF8.self)
        }
        #expect(stamp(1_795_565_088, 7_000_000) == "2026-11-25T00:04:48.007Z")
        #expect(stamp(1_795_565_088, 999_999_999) == "2026-11-25T00:04:48.999Z")
        #expect(stamp(1_795_565_089, 0) == "2026-11-25T00:04:49.000Z")
        #expect(stamp(1_795_565_088, 120_000_000) == "2026-11-25T00:04:48.120Z", "a clock stepped back")
        #expect(stamp(1_798_761_599, 500_000_000) == "2026-12-31T23:59:59.500Z")
        #expect(stamp(1_798_761_600, 0) == "2027-01-01T00:00:00.000Z")
    }

    @Test func journalLinesCarryTheSyslogPriorityAndNoTimestamp() {
        #expect(line(.text, journal: true, ["service": "time"]) == "<6>level=info msg=connection service=time\n")
        let warning = LogLineFormatter.formatLine(
            level: .warning,
            message: "m",
            metadata: [:],
            format: .json,
            journal: true,
            time: nil
        )
        #expect(String(decoding: warning, as: UTF8.self) == "<4>{\"level\":\"warning\",\"msg\":\"m\"}\n")
    }

    @Test(arguments: [
        ("plain", "plain"),
        ("two words", "\"two words\""),
        ("", "\"\""),
        ("a=b", "\"a=b\""),
        ("say \"hi\"", "\"say \\\"hi\\\"\""),
        ("line\nbreak", "\"line\\nbreak\""),
        ("bell\u{07}", "\"bell\\u0007\""),
    ])
    func logfmtValuesAreQuotedOnlyWhenNeeded(value: String, expected: String) {
        var out: [UInt8] = []
        LogLineFormatter.appendLogfmtValue(value, to: &out)
        #expect(String(decoding: out, as: UTF8.self) == expected)
    }

    @Test(arguments: [0, 7, 10, 99, 100, 40001, -1, -42, Int.max, Int.min])
    func decimalsAreWrittenLikeSwiftWritesThem(value: Int) {
        var out: [UInt8] = Array("x=".utf8)
        out.appendDecimal(value)
        #expect(String(decoding: out, as: UTF8.self) == "x=\(value)")
    }

    @Test func aRecordTravellingInsideOtherMetadataIsStillExpanded() throws {
        let record = DatagramRecord(
            service: "daytime",
            client: try SocketAddress(ipAddress: "198.51.100.7", port: 40000),
            destination: nil,
            localPort: 6013,
            boundServer: "127.0.0.1:6013",
            bytesIn: 1,
            bytesOut: nil
        )
        var metadata = record.metadata
        metadata["note"] = "x"
        #expect(
            line(.text, metadata)
                == "ts=2026-11-25T00:04:48.007Z level=info msg=connection service=daytime proto=udp client=198.51.100.7:40000 server=127.0.0.1:6013 bytes_in=1 bytes_out=0 reply=none note=x\n"
        )
    }

    @Test func durationsHaveFourDecimals() {
        #expect(LogSeconds(.nanoseconds(1_234_567_890)).description == "1.2345")
        #expect(LogSeconds(.microseconds(300)).description == "0.0003")
        #expect(LogSeconds(.zero).description == "0.0000")
        let json = line(.json, ["duration": .stringConvertible(LogSeconds(.milliseconds(1500)))])
        #expect(json.hasSuffix(",\"duration\":1.5000}\n"))
    }
}

@Suite struct AddressFormatTests {
    @Test func addressesAreReadAsNumbersWithoutTheirBytes() throws {
        #expect(try SocketAddress(ipAddress: "198.51.100.7", port: 1).ipv4Value == 0xC633_6407)
        #expect(try SocketAddress(ipAddress: "::ffff:198.51.100.7", port: 1).ipv4Value == 0xC633_6407)
        #expect(try SocketAddress(ipAddress: "::1", port: 1).ipv4Value == nil)
        #expect(try SocketAddress(ipAddress: "::ffff:0:1.2.3.4", port: 1).ipv4Value == nil, "not v4-mapped")
        let halves = try #require(try SocketAddress(ipAddress: "2001:db8::ffff:1", port: 1).ipv6Halves)
        #expect(halves.high == 0x2001_0DB8_0000_0000)
        #expect(halves.low == 0x0000_0000_FFFF_0001)
        #expect(try SocketAddress(ipAddress: "127.0.0.1", port: 1).ipv6Halves == nil)
        var out: [UInt8] = []
        out.appendDottedQuad(0xC633_6407, port: 40000)
        #expect(String(decoding: out, as: UTF8.self) == "198.51.100.7:40000")
    }

    @Test func addressesAreWrittenWithTheirPortsAndMappedIPv4IsUnmapped() throws {
        #expect(try SocketAddress(ipAddress: "127.0.0.1", port: 6013).logDescription == "127.0.0.1:6013")
        #expect(try SocketAddress(ipAddress: "::1", port: 6013).logDescription == "[::1]:6013")
        #expect(try SocketAddress(ipAddress: "::ffff:198.51.100.9", port: 40000).logDescription == "198.51.100.9:40000")
        #expect(try SocketAddress(ipAddress: "2001:db8::ffff:1", port: 1).logDescription == "[2001:db8::ffff:1]:1")
        #expect(try SocketAddress(ipAddress: "::ffff:198.51.100.9", port: 0).logHost == "198.51.100.9")
    }
}

@Suite struct LogSinkTests {
    /// Events are formatted by the writer thread, in the order they were queued, with the time they were taken at.
    @Test func queuedEventsComeOutFormattedInOrder() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let sink = LogSink(descriptor: fds[1])
        let time = WallClockTime(secondsSinceEpoch: 1_795_565_088, nanoseconds: 7_000_000)
        for n in 0..<3 {
            sink.write(
                PendingLine(
                    level: .info,
                    message: "line \(n)",
                    metadata: ["n": .stringConvertible(n)],
                    record: nil,
                    format: .text,
                    journal: false,
                    time: time
                )
            )
        }
        sink.write(Array("raw\n".utf8))
        sink.flush()
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = read(fds[0], &chunk, chunk.count)
        let text = String(decoding: chunk[0..<max(count, 0)], as: UTF8.self)
        #expect(
            text == (0..<3).map { "ts=2026-11-25T00:04:48.007Z level=info msg=\"line \($0)\" n=\($0)\n" }.joined()
                + "raw\n"
        )
    }

    /// With our handler (and no logger metadata) a record goes straight to the sink; otherwise through swift-log,
    /// which merges the logger's metadata. Both give the same fields; a level above info logs nothing.
    @Test func recordsGoStraightToOurHandlerOrThroughSwiftLog() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let sink = LogSink(descriptor: fds[1])
        var logger = Logger(label: "test") { label in
            WellKnownLogHandler(label: label, sink: sink, format: .text, level: .info, journal: true)
        }
        let record = DatagramRecord(
            service: "echo",
            client: try SocketAddress(ipAddress: "::ffff:198.51.100.7", port: 40000),
            destination: nil,
            localPort: 6007,
            boundServer: "127.0.0.1:6007",
            bytesIn: 3,
            bytesOut: 3
        )
        let direct = RecordLog(logger)
        #expect(direct.isDirect)
        direct.info("datagram", record)
        logger[metadataKey: "listener"] = "l1"
        let merged = RecordLog(logger)
        #expect(!merged.isDirect)
        merged.info("datagram", record)
        logger.logLevel = .warning
        RecordLog(logger).info("datagram", record)
        sink.flush()
        var chunk = [UInt8](repeating: 0, count: 4096)
        let count = read(fds[0], &chunk, chunk.count)
        let fields = "service=echo proto=udp client=198.51.100.7:40000 server=127.0.0.1:6007 bytes_in=3 bytes_out=3"
        #expect(
            String(decoding: chunk[0..<max(count, 0)], as: UTF8.self)
                == "<6>level=info msg=datagram \(fields) reply=sent\n"
                + "<6>level=info msg=datagram \(fields) reply=sent listener=l1\n"
        )
    }

    /// A reader that never reads fills the pipe; the sink must then drop (and later report) lines rather than grow.
    @Test func slowOutputDropsLinesInsteadOfGrowingAndSaysHowMany() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        let sink = LogSink(descriptor: fds[1], capacity: 40)
        let lineBytes = Array(String(repeating: "x", count: 99).utf8) + [10]
        // 1 MiB of lines against a 64 KiB pipe and a queue of 40 lines.
        for _ in 0..<10_000 {
            sink.write(lineBytes)
        }
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        let flags = fcntl(fds[0], F_GETFL)
        _ = fcntl(fds[0], F_SETFL, flags | O_NONBLOCK)
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while ContinuousClock.now < deadline {
            let n = read(fds[0], &chunk, chunk.count)
            if n > 0 {
                received += chunk[0..<n]
                if String(decoding: received, as: UTF8.self).contains("log lines dropped") { break }
            } else {
                sink.write(lineBytes)  // a later line brings the drop notice out
                usleep(2000)
            }
        }
        let text = String(decoding: received, as: UTF8.self)
        #expect(text.contains("log lines dropped"))
        #expect(received.count < 10_000 * 100, "some lines must have been dropped")
        // Every line that did arrive arrived whole.
        for l in text.split(separator: "\n") where !l.contains("dropped") {
            #expect(l.count == 99)
        }
        // The read end stays open: the sink's writer thread may still write, and a closed pipe would raise SIGPIPE.
    }
}
