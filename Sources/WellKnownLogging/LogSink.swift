import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Where log lines go: a bounded queue in memory, formatted and written to a file descriptor by a thread of its
/// own.
///
/// Event loops only append to the queue under a short lock: a `PendingLine` (the event and its time), or bytes
/// already formatted. The writer thread takes everything pending, formats it into one buffer and writes it with
/// one write(2) per batch, lines whole: formatting, the larger part of a log line's cost, happens off the event
/// loops. When the descriptor is slow (a full pipe, a stalled terminal) and `capacity` lines are waiting, new lines
/// are dropped and counted, and a line saying how many went missing is written once there is room again: memory
/// stays bounded and no event loop ever waits on the descriptor. Into a regular file, the pages a window behind its
/// end are written back and dropped from the page cache (`LogFilePages`).
public final class LogSink: @unchecked Sendable {
    private enum Entry {
        case line(PendingLine)
        case bytes([UInt8])
    }

    // `pending`, `pendingLines`, `dropped` and `writing` are guarded by `state`; its value is 1 while lines wait
    // to be written.
    private let state = ConditionLock(value: 0)
    private var pending: [Entry] = []
    /// Lines in `pending`: an entry of bytes may hold several (a `RecordBatch`'s burst).
    private var pendingLines = 0
    private var dropped = 0
    private var writing = false
    private let capacity: Int
    private let descriptor: Int32
    /// How long the writer lets lines gather once one arrives, in microseconds. Each batch costs a wake-up, a sleep
    /// and a write(2), so a longer gather costs less CPU per line (bench/PROFILES.md has the figures); a line
    /// reaches the descriptor at most this late (and `flush` waits for it).
    static let gather: UInt32 = 5000

    /// `capacity`: lines waiting at most (a line waiting holds a few hundred bytes).
    public init(descriptor: Int32 = STDERR_FILENO, capacity: Int = 16384) {
        self.descriptor = descriptor
        self.capacity = capacity
        self.pending.reserveCapacity(1024)
        let thread = Thread { [self] in self.writeLoop() }
        thread.name = "wellknownd-log"
        thread.start()
    }

    /// Queues one line for the writer thread to format. Never blocks on the descriptor.
    func write(_ line: PendingLine) {
        self.enqueue(.line(line), lines: 1)
    }

    /// Queues `lines` whole lines (newlines included), one by default. Never blocks on the descriptor.
    public func write(_ bytes: [UInt8], lines: Int = 1) {
        self.enqueue(.bytes(bytes), lines: lines)
    }

    private func enqueue(_ entry: Entry, lines: Int) {
        self.state.lock()
        let wasEmpty = self.pending.isEmpty && self.dropped == 0
        if self.pendingLines + lines <= self.capacity {
            self.pending.append(entry)
            self.pendingLines += lines
        } else {
            self.dropped += lines
        }
        // Only the first line of a batch wakes the writer; the others just join it.
        if wasEmpty {
            self.state.unlock(withValue: 1)
        } else {
            self.state.unlock()
        }
    }

    /// Waits until everything queued so far has been written, or `timeout` has passed. For shutdown.
    public func flush(timeout: Duration = .seconds(2)) {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while ContinuousClock.now < deadline {
            self.state.lock()
            let idle = self.pending.isEmpty && !self.writing
            self.state.unlock()
            if idle { return }
            usleep(1000)
        }
    }

    private func writeLoop() {
        var entries: [Entry] = []
        entries.reserveCapacity(1024)
        var batch = LogBytes(capacity: 256 << 10)
        var pages = LogFilePages(descriptor: self.descriptor)
        while true {
            self.state.lock(whenValue: 1)
            // Let a busy moment's lines gather: one wake-up, one format pass and one write for all of them.
            self.state.unlock()
            usleep(Self.gather)
            self.state.lock()
            swap(&entries, &self.pending)
            self.pendingLines = 0
            let dropped = self.dropped
            self.dropped = 0
            self.writing = true
            self.state.unlock(withValue: 0)

            for entry in entries {
                switch entry {
                case .line(let line): line.append(to: &batch)
                case .bytes(let bytes): batch.append(contentsOf: bytes)
                }
            }
            entries.removeAll(keepingCapacity: true)
            if dropped > 0 {
                batch.append(
                    contentsOf: Array("wellknownd: \(dropped) log lines dropped: the log output was too slow\n".utf8)
                )
            }
            self.writeAll(batch)
            batch.removeAll()
            pages?.wrote()

            self.state.lock()
            self.writing = false
            self.state.unlock()
        }
    }

    private func writeAll(_ bytes: LogBytes) {
        bytes.withUnsafeBytes { raw in
            var offset = 0
            while offset < raw.count, let base = raw.baseAddress {
                let n = systemWrite(self.descriptor, base + offset, raw.count - offset)
                if n > 0 {
                    offset += n
                } else if n < 0 && (errno == EINTR || errno == EAGAIN) {
                    if errno == EAGAIN { usleep(1000) }
                } else {
                    return  // the descriptor is gone: nothing useful left to do with these lines
                }
            }
        }
    }
}

private func systemWrite(_ fd: Int32, _ bytes: UnsafeRawPointer, _ count: Int) -> Int {
    write(fd, bytes, count)
}
