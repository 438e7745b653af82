import CLogFile

#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// The pages of a log file that is a regular file, written back and dropped from the page cache a window behind
/// the file's end. A log written at tens of MB/s would otherwise fill the page cache with lines no one reads again,
/// pushing out what the machine does read; and a growing file takes every page new from the kernel's free memory,
/// which on a VM that hands free memory back to its host (free page reporting) costs a host fault for each, where a
/// page just dropped is taken again while the host still backs it (bench/HISTORY.md has the figures).
/// The newest window stays cached for whoever tails the file. For the writer thread only.
struct LogFilePages {
    static let window: Int = 8 << 20
    private let descriptor: Int32
    private let window: Int
    private let pageSize: Int
    /// Writeback has been started for everything before `started`, and the pages before `dropped` have been let go.
    /// Both on page boundaries.
    private var started: Int
    private var dropped: Int

    /// nil unless `descriptor` is a regular file: a pipe, a terminal, the journal's socket or /dev/null has no pages
    /// to give back.
    init?(descriptor: Int32, window: Int = Self.window) {
        var status = stat()
        guard fstat(descriptor, &status) == 0, status.st_mode & S_IFMT == S_IFREG else { return nil }
        let end = Int(lseek(descriptor, 0, SEEK_CUR))
        guard end >= 0 else { return nil }
        self.descriptor = descriptor
        self.window = window
        self.pageSize = max(4096, sysconf(Int32(_SC_PAGESIZE)))
        self.started = end - end % self.pageSize
        self.dropped = self.started
    }

    /// After a write: once a window has been written since writeback was last started, starts it for that window,
    /// and lets go of the window before, waiting for its writeback to end (started a window ago, it has almost always
    /// ended; if the disk is slower than the log, the writer waits here and the sink drops and counts lines, rather
    /// than the page cache growing).
    mutating func wrote() {
        let end = Int(lseek(self.descriptor, 0, SEEK_CUR))
        guard end >= 0 else { return }
        if end < self.started {
            // Truncated under us (logrotate's copytruncate): what was written since lies from the start of the file.
            self.started = 0
            self.dropped = 0
        }
        guard end - self.started >= self.window else { return }
        _ = wk_start_writeback(self.descriptor, Int64(self.started), Int64(end - self.started))
        if self.started - self.dropped >= self.window {
            if wk_finish_writeback(self.descriptor, Int64(self.dropped), Int64(self.started - self.dropped)) == 0 {
                _ = posix_fadvise(
                    self.descriptor,
                    self.dropped,
                    self.started - self.dropped,
                    Int32(POSIX_FADV_DONTNEED)
                )
            }
            self.dropped = self.started
        }
        self.started = end - end % self.pageSize
    }
}
