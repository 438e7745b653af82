import Foundation
import Logging
import NIOCore
import Testing
import WellKnownCalendar

@testable import WellKnownDaemon
@testable import WellKnownLogging

/// The connection record as the daemon logs it, in both formats, through the real line formatter.
@Suite struct ConnectionRecordTests {
    static func line(_ format: LogFormat, _ metadata: Logger.Metadata) -> String {
        let bytes = LogLineFormatter.formatLine(
            level: .info,
            message: "connection",
            metadata: metadata,
            format: format,
            journal: false,
            time: WallClockTime(secondsSinceEpoch: 1_795_565_088, nanoseconds: 7_000_000)
        )
        return String(decoding: bytes, as: UTF8.self)
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
            Self.line(.text, record.metadata)
                == "ts=2026-11-25T00:04:48.007Z level=info msg=connection service=echo proto=tcp client=198.51.100.7:40001 server=[::1]:6007 duration=0.0012 bytes_in=5 bytes_out=12345678901 end=client error=\"a \\\"quoted\\\" reason\"\n"
        )
        let json = Self.line(.json, record.metadata)
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
}
