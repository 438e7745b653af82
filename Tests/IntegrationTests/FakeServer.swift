import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// A server that answers wrongly on purpose, on a port of the kernel's choice on 127.0.0.1: each accepted TCP
/// connection (or each datagram) is handed to `serve`, on a thread of its own, until the server is stopped.
final class FakeServer: @unchecked Sendable {
    let fd: Int32
    let port: Int
    private let stopped = NIOLockedValueBox(false)
    private let thread: Thread

    /// `serve(fd)` for TCP: the accepted connection, closed after it returns. For UDP: `answer(request)` returns the
    /// reply to send, or nil for none.
    init(tcp serve: @escaping @Sendable (Int32) -> Void) throws {
        (self.fd, self.port) = try Self.bound(type: Int32(SOCK_STREAM.rawValue))
        listen(self.fd, 16)
        let fd = self.fd
        let stopped = self.stopped
        self.thread = Thread {
            while !stopped.withLockedValue({ $0 }) {
                let connection = accept(fd, nil, nil)
                guard connection >= 0 else { continue }
                serve(connection)
                close(connection)
            }
        }
        self.thread.start()
    }

    init(udp answer: @escaping @Sendable ([UInt8]) -> [UInt8]?) throws {
        (self.fd, self.port) = try Self.bound(type: Int32(SOCK_DGRAM.rawValue))
        let fd = self.fd
        let stopped = self.stopped
        self.thread = Thread {
            var buffer = [UInt8](repeating: 0, count: 65536)
            while !stopped.withLockedValue({ $0 }) {
                var peer = sockaddr_storage()
                var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
                let count = withUnsafeMutablePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        recvfrom(fd, &buffer, buffer.count, 0, $0, &length)
                    }
                }
                guard count >= 0, let reply = answer(Array(buffer[0..<count])) else { continue }
                _ = withUnsafePointer(to: &peer) {
                    $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                        sendto(fd, reply, reply.count, 0, $0, length)
                    }
                }
            }
        }
        self.thread.start()
    }

    deinit {
        self.stopped.withLockedValue { $0 = true }
        shutdown(self.fd, Int32(SHUT_RDWR))
        close(self.fd)
    }

    private static func bound(type: Int32) throws -> (Int32, Int) {
        let fd = socket(AF_INET, type, 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_in>.size))
            }
        }
        guard fd >= 0, result == 0 else { throw TestFailure("bind: \(String(cString: strerror(errno)))") }
        var bound = sockaddr_in()
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        _ = withUnsafeMutablePointer(to: &bound) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(fd, $0, &length) }
        }
        return (fd, Int(UInt16(bigEndian: bound.sin_port)))
    }

    /// Writes all of `bytes` to a connection.
    static func write(_ fd: Int32, _ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let sent = bytes[offset...].withUnsafeBytes { send(fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL)) }
            guard sent > 0 else { return }
            offset += sent
        }
    }

    /// Reads what a client sends, up to `count` bytes or its end.
    static func read(_ fd: Int32, count: Int) -> [UInt8] {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while all.count < count {
            let got = recv(fd, &buffer, min(buffer.count, count - all.count), 0)
            guard got > 0 else { break }
            all += buffer[0..<got]
        }
        return all
    }

    /// Closes with RST.
    static func reset(_ fd: Int32) {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }
}
