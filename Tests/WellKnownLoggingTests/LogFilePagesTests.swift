import Foundation
import Testing

@testable import WellKnownLogging

#if canImport(Glibc)
import Glibc
#endif

@Suite struct LogFilePagesTests {
    static let page = max(4096, sysconf(Int32(_SC_PAGESIZE)))
    static let window = max(64 << 10, 4 * Self.page)
    static let chunk = [UInt8](repeating: UInt8(ascii: "x"), count: 16 << 10)

    /// Whether the test's files live where the page cache can let pages go: not on tmpfs, whose pages are the file.
    /// The file system is the one of the longest mount point in /proc/mounts that holds the temporary directory.
    static let onDisk: Bool = {
        let directory = FileManager.default.temporaryDirectory.resolvingSymlinksInPath().path
        guard let mounts = try? String(contentsOfFile: "/proc/mounts", encoding: .utf8) else { return false }
        var holding: [[String]] = []
        for line in mounts.split(separator: "\n") {
            let fields = line.split(separator: " ").map(String.init)
            guard fields.count > 2 else { continue }
            let point = fields[1] == "/" ? "/" : fields[1] + "/"
            if (directory + "/").hasPrefix(point) { holding.append(fields) }
        }
        guard let mount = holding.max(by: { $0[1].count < $1[1].count }) else { return false }
        return !["tmpfs", "ramfs"].contains(mount[2])
    }()

    /// Which of the first `pages` pages of the file at `path` are in the page cache (mincore of a mapping).
    static func resident(_ path: String, pages: Int) throws -> [Bool] {
        let fd = open(path, O_RDONLY)
        try #require(fd >= 0)
        defer { close(fd) }
        let length = pages * Self.page
        let mapping = try #require(mmap(nil, length, PROT_READ, MAP_SHARED, fd, 0))
        try #require(mapping != MAP_FAILED)
        defer { munmap(mapping, length) }
        var vector = [UInt8](repeating: 0, count: pages)
        try #require(mincore(mapping, length, &vector) == 0)
        return vector.map { $0 & 1 == 1 }
    }

    static func append(_ fd: Int32, chunks: Int, _ pages: inout LogFilePages) throws {
        for _ in 0..<chunks {
            try #require(Self.chunk.withUnsafeBytes { write(fd, $0.baseAddress, $0.count) } == Self.chunk.count)
            pages.wrote()
        }
    }

    /// Three windows written: the two behind the newest are written back and out of the page cache, the newest is
    /// still in it. Truncated and written again (logrotate's copytruncate), the same happens from the new start.
    @Test(.enabled(if: Self.onDisk, "needs a temporary directory that is not tmpfs"))
    func pagesTwoWindowsBehindTheEndLeaveThePageCacheAndTheNewestStay() throws {
        let path = FileManager.default.temporaryDirectory.appendingPathComponent("wk-pages-\(UUID().uuidString).log")
            .path
        let fd = open(path, O_WRONLY | O_CREAT | O_TRUNC | O_APPEND, 0o600)
        try #require(fd >= 0)
        defer {
            close(fd)
            unlink(path)
        }
        var pages = try #require(LogFilePages(descriptor: fd, window: Self.window))
        let perWindow = Self.window / Self.page
        for round in ["first", "after truncation"] {
            try Self.append(fd, chunks: 3 * Self.window / Self.chunk.count, &pages)
            let resident = try Self.resident(path, pages: 3 * perWindow)
            #expect(resident[0..<(2 * perWindow)].allSatisfy { !$0 }, "\(round): \(resident)")
            #expect(resident[(2 * perWindow)...].allSatisfy { $0 }, "\(round): \(resident)")
            try #require(ftruncate(fd, 0) == 0)
        }
    }

    @Test func aPipeAndDevNullHaveNoPagesToGiveBack() throws {
        var fds: [Int32] = [0, 0]
        try #require(pipe(&fds) == 0)
        defer { fds.forEach { close($0) } }
        #expect(LogFilePages(descriptor: fds[1]) == nil)
        let null = open("/dev/null", O_WRONLY)
        defer { close(null) }
        #expect(LogFilePages(descriptor: null) == nil)
    }
}
