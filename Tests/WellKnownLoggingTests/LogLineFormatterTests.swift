import Foundation
import Logging
import NIOCore
import Testing
import WellKnownCalendar

@testable import WellKnownLogging

#if canImport(Glibc)
import Glibc
#endif

@Suite struct LogLineFormatterTests {
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

    @Test func theCachedTimestampFollowsTheClockAcrossSecondsAndBack() {
        func stamp(_ seconds: Int64, _ nanoseconds: Int32) -> String {
            var out = LogBytes()
            LogLineFormatter.appendTimestamp(
                WallClockTime(secondsSinceEpoch: seconds, nanoseconds: nanoseconds),
                to: &out
            )
            return String(decoding: out.bytes, as: UTF8.self)
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
        var out = LogBytes()
        LogLineFormatter.appendLogfmtValue(value, to: &out)
        #expect(String(decoding: out.bytes, as: UTF8.self) == expected)
    }

    @Test(arguments: [
        0, 7, 9, 10, 99, 100, 999, 1000, 40001, 65535, 999_999_999_999_999_999, 1_000_000_000_000_000_000, -1, -42,
        Int.max, Int.min,
    ])
    func decimalsAreWrittenLikeSwiftWritesThem(value: Int) {
        var array: [UInt8] = Array("x=".utf8)
        array.appendDecimal(value)
        #expect(String(decoding: array, as: UTF8.self) == "x=\(value)")
        // A line buffer writes the same digits, and grows past its first capacity without losing a byte.
        var line = LogBytes(capacity: 16)
        for _ in 0..<8 {
            line.appendLiteral("x=")
            line.appendDecimal(value)
        }
        #expect(String(decoding: line.bytes, as: UTF8.self) == String(repeating: "x=\(value)", count: 8))
    }

    /// Every octet in every position, with and without a port, as the digit by digit writer has them: a line
    /// buffer writes an octet from a table in one store whose last byte the next piece writes over.
    @Test func dottedQuadsOfEveryOctetAreWrittenWhole() {
        let line = LogBytes(capacity: 16)
        var expected: [UInt8] = []
        for octet in UInt32(0)...255 {
            let value = octet << 24 | (255 - octet) << 16 | (octet / 3) << 8 | (octet * 7 & 0xFF)
            let port: Int? = octet % 2 == 0 ? Int(octet) * 257 : nil
            line.appendDottedQuad(value, port: port)
            line.append(UInt8(ascii: " "))
            expected.appendDottedQuad(value, port: port)
            expected.append(UInt8(ascii: " "))
        }
        #expect(String(decoding: line.bytes, as: UTF8.self) == String(decoding: expected, as: UTF8.self))
        let last = LogBytes()
        last.appendDottedQuad(0xC633_6407, port: nil)
        #expect(String(decoding: last.bytes, as: UTF8.self) == "198.51.100.7")
    }

    @Test func durationsHaveFourDecimals() {
        #expect(LogSeconds(.nanoseconds(1_234_567_890)).description == "1.2345")
        #expect(LogSeconds(.microseconds(300)).description == "0.0003")
        #expect(LogSeconds(.zero).description == "0.0000")
        let json = line(.json, ["duration": .stringConvertible(LogSeconds(.milliseconds(1500)))])
        #expect(json.hasSuffix(",\"duration\":1.5000}\n"))
    }

    @Test func aRecordTravellingInsideOtherMetadataIsStillExpanded() throws {
        let record = SampleRecord(
            service: "daytime",
            client: try SocketAddress(ipAddress: "198.51.100.7", port: 40000),
            bytesIn: 1
        )
        var metadata = record.metadata
        metadata["note"] = "x"
        #expect(
            line(.text, metadata)
                == "ts=2026-11-25T00:04:48.007Z level=info msg=connection service=daytime proto=udp client=198.51.100.7:40000 bytes_in=1 note=x\n"
        )
    }

    /// `RecordBatch`'s generic way to a record's line writes the same bytes as the general one, in every format, with
    /// and without the journal's priority and a timestamp.
    @Test(arguments: [LogFormat.text, .json], [false, true])
    func aRecordAloneIsWrittenAsTheGeneralFormatterWritesIt(format: LogFormat, journal: Bool) throws {
        let record = SampleRecord(
            service: "daytime",
            client: try SocketAddress(ipAddress: "2001:db8::7", port: 40000),
            bytesIn: 3
        )
        for time in [stamp, nil] {
            var general = LogBytes()
            LogLineFormatter.formatLine(
                level: .info,
                message: "connection",
                metadata: [:],
                record: record,
                format: format,
                journal: journal,
                time: time,
                into: &general
            )
            var generic = LogBytes()
            LogLineFormatter.formatRecordLine(
                level: .info,
                message: "connection",
                record: record,
                format: format,
                journal: journal,
                time: time,
                into: &generic
            )
            #expect(String(decoding: generic.bytes, as: UTF8.self) == String(decoding: general.bytes, as: UTF8.self))
            #expect(String(decoding: generic.bytes, as: UTF8.self).contains("client"))
        }
    }
}
