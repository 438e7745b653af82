import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// The client half of the socket story, one system call at a time: socket(), connect(), send(), recv(), shutdown(),
/// each bounded by a deadline through poll(2), each read bounded in bytes. Written on the system calls rather than
/// on SwiftNIO because what a probe reports is what the kernel said to each of them (ECONNREFUSED from an ICMP port
/// unreachable on a connected UDP socket, a reset against an orderly close, the port connect() bound), for one
/// exchange at a time, where an event loop adds nothing.
final class ProbeSocket {
    enum Failure: Error, Equatable {
        case refused
        case reset
        case timeout
        case system(String)
    }

    let fd: Int32
    let datagram: Bool

    init(family: Int32, datagram: Bool) throws(Failure) {
        let type = datagram ? Int32(SOCK_DGRAM.rawValue) : Int32(SOCK_STREAM.rawValue)
        self.fd = socket(family, type | Int32(SOCK_CLOEXEC.rawValue) | Int32(SOCK_NONBLOCK.rawValue), 0)
        self.datagram = datagram
        guard self.fd >= 0 else { throw Self.failure("socket") }
        if family == AF_UNIX && datagram {
            // A datagram reply needs an address to come back to. A path in the temporary directory, not Linux's
            // abstract autobind: SwiftNIO (and so wellknownd) cannot send to an abstract address.
            let path = NSTemporaryDirectory() + "wellknownd-probe-\(getpid())-\(UUID().uuidString.prefix(8)).sock"
            guard let bound = ProbeAddress(kind: .unix(path: path)).withSockAddr({ bind(self.fd, $0, $1) }),
                bound == 0
            else {
                close(self.fd)
                throw Self.failure("bind")
            }
            // The server (which may run as another user) must be allowed to send the reply; only the server can:
            // a connected datagram socket takes datagrams from its peer alone.
            chmod(path, 0o666)
            self.boundPath = path
        }
    }

    /// The path a datagram AF_UNIX socket was bound to, removed with the socket.
    private var boundPath: String?

    deinit {
        close(self.fd)
        if let path = self.boundPath { unlink(path) }
    }

    static func failure(_ call: String, _ code: Int32 = errno) -> Failure {
        switch code {
        case ECONNREFUSED: return .refused
        case ECONNRESET, EPIPE: return .reset
        case ETIMEDOUT: return .timeout
        default: return .system("\(call): \(String(cString: strerror(code)))")
        }
    }

    /// Waits for `events` until `deadline`. Returns the events that happened.
    private func wait(_ events: Int16, until deadline: ContinuousClock.Instant) throws(Failure) -> Int16 {
        while true {
            let left = ContinuousClock.now.duration(to: deadline)
            guard left > .zero else { throw .timeout }
            let (seconds, attoseconds) = left.components
            let milliseconds = Int32(clamping: seconds * 1000 + attoseconds / 1_000_000_000_000_000 + 1)
            var descriptor = pollfd(fd: self.fd, events: events, revents: 0)
            let ready = poll(&descriptor, 1, milliseconds)
            if ready > 0 { return descriptor.revents }
            if ready < 0 && errno != EINTR { throw Self.failure("poll") }
        }
    }

    /// The socket's pending error (a failed connect, an ICMP error on UDP), if any.
    private func pendingError() -> Int32 {
        var code: Int32 = 0
        var length = socklen_t(MemoryLayout<Int32>.size)
        getsockopt(self.fd, SOL_SOCKET, SO_ERROR, &code, &length)
        return code
    }

    func connect(to address: ProbeAddress, until deadline: ContinuousClock.Instant) throws(Failure) {
        let result = address.withSockAddr { Glibc.connect(self.fd, $0, $1) }
        guard let result else { throw .system("connect: the address does not fit a socket address") }
        if result == 0 { return }
        guard errno == EINPROGRESS || errno == EAGAIN else { throw Self.failure("connect") }
        _ = try self.wait(Int16(POLLOUT), until: deadline)
        let code = self.pendingError()
        if code != 0 { throw Self.failure("connect", code) }
    }

    /// Sends all of `bytes` (one datagram on a datagram socket).
    func send(_ bytes: [UInt8], until deadline: ContinuousClock.Instant) throws(Failure) {
        var offset = 0
        repeat {
            let sent = bytes[offset...].withUnsafeBytes {
                Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            if sent >= 0 {
                offset += sent
                if self.datagram { return }
                continue
            }
            guard errno == EAGAIN || errno == EWOULDBLOCK else { throw Self.failure("send") }
            _ = try self.wait(Int16(POLLOUT), until: deadline)
        } while offset < bytes.count
    }

    /// What one recv() returned: bytes, or the peer's orderly end (0).
    enum Received {
        case bytes([UInt8])
        case end
    }

    /// One recv() of at most `limit` bytes (one datagram, cut to `limit`, on a datagram socket), waiting until
    /// `deadline`.
    func receive(limit: Int, until deadline: ContinuousClock.Instant) throws(Failure) -> Received {
        // At most 64 KiB per call (a datagram holds no more): a buffer of the whole limit (chargen --size) would be
        // allocated and zeroed again for every call.
        var buffer = [UInt8](repeating: 0, count: max(1, min(limit, 65536)))
        while true {
            let count = buffer.withUnsafeMutableBytes { recv(self.fd, $0.baseAddress, $0.count, 0) }
            if count > 0 { return .bytes(Array(buffer[0..<count])) }
            if count == 0 { return self.datagram ? .bytes([]) : .end }
            guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { throw Self.failure("recv") }
            _ = try self.wait(Int16(POLLIN), until: deadline)
        }
    }

    /// Reads until the peer ends, `limit` bytes in all, or `deadline` (which throws `.timeout` only if nothing at
    /// all came). `ended`: whether the peer closed.
    func receiveAll(limit: Int, until deadline: ContinuousClock.Instant) throws(Failure) -> (
        bytes: [UInt8], ended: Bool
    ) {
        var all: [UInt8] = []
        while all.count < limit {
            do {
                switch try self.receive(limit: limit - all.count, until: deadline) {
                case .bytes(let bytes): all += bytes
                case .end: return (all, true)
                }
            } catch .timeout where !all.isEmpty {
                return (all, false)
            }
        }
        return (all, false)
    }

    /// Sends `bytes` while reading what comes back, so that a large echo cannot deadlock on full buffers; stops
    /// once `expect` bytes came back, the peer ended, or `deadline` passed (then throws `.timeout` only if nothing
    /// at all came back).
    func exchange(
        _ bytes: [UInt8],
        expect: Int,
        until deadline: ContinuousClock.Instant
    ) throws(Failure) -> (bytes: [UInt8], ended: Bool) {
        var offset = 0
        var received: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while received.count < expect {
            if offset < bytes.count {
                let sent = bytes[offset...].withUnsafeBytes {
                    Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
                }
                if sent > 0 {
                    offset += sent
                } else if sent < 0 && errno != EAGAIN && errno != EWOULDBLOCK {
                    throw Self.failure("send")
                }
            }
            let count = buffer.withUnsafeMutableBytes {
                recv(self.fd, $0.baseAddress, min($0.count, expect - received.count), 0)
            }
            if count > 0 {
                received += buffer[0..<count]
                continue
            }
            if count == 0 { return (received, true) }
            guard errno == EAGAIN || errno == EWOULDBLOCK || errno == EINTR else { throw Self.failure("recv") }
            let events = offset < bytes.count ? Int16(POLLIN | POLLOUT) : Int16(POLLIN)
            do {
                _ = try self.wait(events, until: deadline)
            } catch .timeout where !received.isEmpty {
                return (received, false)
            }
        }
        return (received, false)
    }

    func shutdownWrite() {
        shutdown(self.fd, Int32(SHUT_WR))
    }

    var localAddress: String { self.name(getsockname) }
    var remoteAddress: String { self.name(getpeername) }

    private func name(_ call: (Int32, UnsafeMutablePointer<sockaddr>, UnsafeMutablePointer<socklen_t>) -> Int32)
        -> String
    {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        let result = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { call(self.fd, $0, &length) }
        }
        guard result == 0 else { return "?" }
        return withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { ProbeAddress.describe($0) }
        }
    }
}
