#if canImport(Glibc)
import Glibc
#elseif canImport(Musl)
import Musl
#elseif canImport(Darwin)
import Darwin
#endif

/// Reads a configuration file and says exactly what is wrong when it cannot: a directory, a device, a FIFO or a
/// socket is named as such (Foundation reports the first as "error 256" and the others as a permission problem,
/// even to root), a file the user cannot read names the user, and a file over `maximumSize` is refused before any
/// of it is read. Written against POSIX because Foundation's reader reads the whole file first, whatever its size
/// or type, and blocks on a FIFO.
public enum ConfigurationFile {
    /// A configuration is a few kilobytes; this bound only keeps a mistaken path from filling memory.
    public static let maximumSize = 16 << 20

    /// `maximumSize` and `what`: for other text files the configuration names (a service's file option), so that
    /// their errors read "cannot read the file: …".
    public static func read(
        path: String,
        maximumSize: Int = Self.maximumSize,
        what: String = "the configuration"
    ) throws(ConfigurationError) -> String {
        func failure(_ message: String) -> ConfigurationError {
            ConfigurationError(location: SourceLocation(file: path, line: 0, column: 0), keyPath: "", message: message)
        }
        // O_NONBLOCK: opening a FIFO must not wait for a writer; it is refused below anyway.
        let fd = open(path, O_RDONLY | O_NONBLOCK | O_CLOEXEC)
        guard fd >= 0 else {
            throw failure("cannot read \(what): \(Self.reason(errno: errno))")
        }
        defer { close(fd) }
        var info = stat()
        guard fstat(fd, &info) == 0 else {
            throw failure("cannot read \(what): \(Self.reason(errno: errno))")
        }
        if let kind = Self.kind(of: info.st_mode) {
            throw failure("cannot read \(what): it is \(kind), not a file")
        }
        guard Int(info.st_size) <= maximumSize else {
            throw failure(
                "cannot read \(what): it is \(Int(info.st_size)) bytes, more than the \(maximumSize) allowed"
            )
        }
        // One byte more than the size the file had, so that a file growing while it is read is noticed.
        let capacity = Int(info.st_size) + 1
        var bytes = [UInt8](repeating: 0, count: capacity)
        var filled = 0
        while filled < capacity {
            let count = bytes.withUnsafeMutableBytes { buffer in
                systemRead(fd, buffer.baseAddress.map { $0 + filled }, capacity - filled)
            }
            if count == 0 { break }
            if count < 0 {
                if errno == EINTR { continue }
                throw failure("cannot read \(what): \(Self.reason(errno: errno))")
            }
            filled += count
        }
        guard filled <= maximumSize else {
            throw failure("cannot read \(what): it grew past \(maximumSize) bytes while being read")
        }
        guard let text = String(validating: bytes.prefix(filled), as: UTF8.self) else {
            throw failure("not UTF-8 text")
        }
        return text
    }

    /// What a path that is not a regular file is, in words; nil for a regular file.
    static func kind(of mode: mode_t) -> String? {
        switch mode & S_IFMT {
        case S_IFREG: return nil
        case S_IFDIR: return "a directory"
        case S_IFCHR: return "a character device"
        case S_IFBLK: return "a block device"
        case S_IFIFO: return "a FIFO (named pipe)"
        case S_IFSOCK: return "a socket"
        default: return "not a regular file"
        }
    }

    /// strerror, with the user named where permissions are the problem: who the daemon runs as is what to fix.
    static func reason(errno code: Int32) -> String {
        let text = String(cString: strerror(code))
        guard code == EACCES || code == EPERM else { return text }
        return "\(text) (reading as \(Self.currentUser))"
    }

    /// `nobody (uid 65534)`: the user whose permissions apply now.
    public static var currentUser: String {
        let uid = geteuid()
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name
        else { return "uid \(uid)" }
        return "user \(String(cString: name)) (uid \(uid))"
    }
}

/// read(2), outside `ConfigurationFile`, whose own `read` would shadow it.
private func systemRead(_ fd: Int32, _ buffer: UnsafeMutableRawPointer?, _ count: Int) -> Int {
    read(fd, buffer, count)
}
