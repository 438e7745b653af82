import Logging
import NIOCore
import Testing

@testable import WellKnownLogging

#if canImport(Glibc)
import Glibc
#endif

@Suite struct RecordBatchTests {
    /// What the sink wrote to a pipe so far (after `flush`).
    static func written(_ fd: Int32) -> String {
        let flags = fcntl(fd, F_GETFL)
        _ = fcntl(fd, F_SETFL, flags | O_NONBLOCK)
        var chunk = [UInt8](repeating: 0, count: 65536)
        let count = read(fd, &chunk, chunk.count)
        return String(decoding: chunk[0..<max(count, 0)], as: UTF8.self)
    }

    /// With wellknownd's handler the records of a burst are formatted as they come and reach the sink together at
    /// `flush`, whole lines in order, exactly as `RecordLog` would have written them one by one.
    @Test func aBurstReachesTheSinkAtFlushAsTheLinesRecordLogWrites() throws {
        let (sink, logger, readEnd) = try pipedLogger(format: .text, level: .info, journal: true)
        let batch = RecordBatch(RecordLog(logger))
        for port in 40000..<40003 {
            let client = try SocketAddress(ipAddress: "198.51.100.7", port: port)
            batch.info("datagram", SampleRecord(service: "echo", client: client, bytesIn: port - 40000))
        }
        sink.flush()
        #expect(Self.written(readEnd) == "", "nothing before the batch is flushed")
        batch.flush()
        sink.flush()
        let lines = (0..<3).map {
            "<6>level=info msg=datagram service=echo proto=udp client=198.51.100.7:\(40000 + $0) bytes_in=\($0)\n"
        }
        #expect(Self.written(readEnd) == lines.joined())
        batch.flush()
        sink.flush()
        #expect(Self.written(readEnd) == "", "a flush writes each line once")
        let next = try SocketAddress(ipAddress: "198.51.100.8", port: 40100)
        batch.info("datagram", SampleRecord(service: "echo", client: next, bytesIn: 9))
        batch.flush()
        sink.flush()
        #expect(
            Self.written(readEnd)
                == "<6>level=info msg=datagram service=echo proto=udp client=198.51.100.8:40100 bytes_in=9\n",
            "the next burst carries its own lines only"
        )
    }

    /// Lines a template writes whole join the burst in order; only wellknownd's handler logging info lines takes
    /// them.
    @Test func wholeLinesJoinTheBurstWhenTheHandlerTakesThem() throws {
        let (sink, logger, readEnd) = try pipedLogger(format: .json, level: .info, journal: false)
        let batch = RecordBatch(RecordLog(logger))
        #expect(batch.lineFormat?.format == .json)
        #expect(batch.lineFormat?.journal == false)
        let client = try SocketAddress(ipAddress: "198.51.100.7", port: 40000)
        batch.info("datagram", SampleRecord(service: "echo", client: client, bytesIn: 1))
        let buffer = try #require(batch.lineBuffer)
        buffer.append(contentsOf: Array("{\"whole\":1}\n".utf8))
        batch.lineAppended()
        batch.flush()
        sink.flush()
        let lines = Self.written(readEnd).split(separator: "\n")
        #expect(lines.count == 2)
        #expect(lines.last == "{\"whole\":1}")

        let (_, quiet, quietEnd) = try pipedLogger(format: .text, level: .notice, journal: false)
        let above = RecordBatch(RecordLog(quiet))
        #expect(above.lineFormat == nil)
        #expect(above.lineBuffer == nil)
        above.flush()
        #expect(Self.written(quietEnd) == "")
        let other = RecordBatch(RecordLog(Logger(label: "other") { _ in SwiftLogNoOpLogHandler() }))
        #expect(other.lineFormat == nil)
        #expect(other.lineBuffer == nil)
    }

    /// Above info nothing is logged, and a record is not even built.
    @Test func aLevelAboveInfoBuildsNoRecord() throws {
        let (sink, logger, readEnd) = try pipedLogger(format: .json, level: .notice, journal: false)
        let batch = RecordBatch(RecordLog(logger))
        var built = 0
        let client = try SocketAddress(ipAddress: "::1", port: 1)
        func record() -> SampleRecord {
            built += 1
            return SampleRecord(service: "echo", client: client, bytesIn: 0)
        }
        batch.info("datagram", record())
        batch.flush()
        sink.flush()
        #expect(built == 0)
        #expect(Self.written(readEnd) == "")
    }
}
