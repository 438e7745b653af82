import Foundation
import Logging
import NIOCore
import Testing
import WellKnownCalendar

@testable import WellKnownLogging

#if canImport(Glibc)
import Glibc
#endif

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
        let (sink, directLogger, readEnd) = try pipedLogger(format: .text, level: .info, journal: true)
        var logger = directLogger
        let record = SampleRecord(
            service: "echo",
            client: try SocketAddress(ipAddress: "::ffff:198.51.100.7", port: 40000),
            bytesIn: 3
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
        let count = read(readEnd, &chunk, chunk.count)
        let fields = "service=echo proto=udp client=198.51.100.7:40000 bytes_in=3"
        #expect(
            String(decoding: chunk[0..<max(count, 0)], as: UTF8.self)
                == "<6>level=info msg=datagram \(fields)\n"
                + "<6>level=info msg=datagram \(fields) listener=l1\n"
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

    /// A burst handed over in one piece counts as the lines it holds: the bound on what waits is in lines, so a
    /// burst that does not fit is dropped whole and counted line by line.
    @Test func aBurstCountsAsItsLinesAgainstTheBound() throws {
        var fds: [Int32] = [0, 0]
        #expect(pipe(&fds) == 0)
        // A full pipe: the writer thread blocks on its first write, and what follows has to wait in the queue.
        let flags = fcntl(fds[1], F_GETFL)
        _ = fcntl(fds[1], F_SETFL, flags | O_NONBLOCK)
        let junk = [UInt8](repeating: UInt8(ascii: "j"), count: 4096)
        var filled = 0
        while true {
            let n = write(fds[1], junk, junk.count)
            if n <= 0 { break }
            filled += n
        }
        _ = fcntl(fds[1], F_SETFL, flags)
        let sink = LogSink(descriptor: fds[1], capacity: 4)
        sink.write(Array("first\n".utf8))
        usleep(200_000)  // the writer has taken it and is blocked on the full pipe
        sink.write(Array("b1\nb2\nb3\n".utf8), lines: 3)
        sink.write(Array("c1\nc2\nc3\n".utf8), lines: 3)  // 3 + 3 > 4: dropped
        sink.write(Array("d\n".utf8))
        var received: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        _ = fcntl(fds[0], F_SETFL, fcntl(fds[0], F_GETFL) | O_NONBLOCK)
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        while ContinuousClock.now < deadline, !String(decoding: received, as: UTF8.self).contains("dropped") {
            let n = read(fds[0], &chunk, chunk.count)
            if n > 0 { received += chunk[0..<n] } else { usleep(2000) }
        }
        #expect(
            String(decoding: received.dropFirst(filled), as: UTF8.self)
                == "first\nb1\nb2\nb3\nd\nwellknownd: 3 log lines dropped: the log output was too slow\n"
        )
    }
}
