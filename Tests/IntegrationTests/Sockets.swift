import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Plain blocking sockets with timeouts: the test is a client like nc, and needs to know its own address.
struct Endpoint: Hashable, CustomStringConvertible {
    var host: String
    var port: Int

    /// As wellknownd logs it: `127.0.0.1:40000`, `[::1]:40000`.
    var description: String { self.host.contains(":") ? "[\(self.host)]:\(self.port)" : "\(self.host):\(self.port)" }
}

final class TestSocket {
    let fd: Int32
    let family: Int32

    /// `localPort`, `localAddress`: bind the client first (a client "from" a chosen port or loopback address).
    init(
        host: String,
        port: Int,
        type: Int32,
        timeout: Duration = .seconds(5),
        localPort: Int? = nil,
        localAddress: String? = nil
    ) throws {
        var storage = sockaddr_storage()
        let length = try fillAddress(host: host, port: port, into: &storage)
        self.family = Int32(storage.ss_family)
        self.fd = socket(self.family, type, 0)
        guard self.fd >= 0 else { throw TestFailure("socket: \(String(cString: strerror(errno)))") }
        if localPort != nil || localAddress != nil {
            var local = sockaddr_storage()
            let localLength = try fillAddress(host: localAddress ?? host, port: localPort ?? 0, into: &local)
            let bound = withUnsafePointer(to: &local) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(self.fd, $0, localLength) }
            }
            guard bound == 0 else {
                throw TestFailure("bind: \(String(cString: strerror(errno)))")
            }
        }
        var tv = timeval(
            tv_sec: Int(timeout.components.seconds),
            tv_usec: Int(timeout.components.attoseconds / 1_000_000_000_000)
        )
        setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        setsockopt(self.fd, SOL_SOCKET, SO_SNDTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
        let result = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(self.fd, $0, length) }
        }
        guard result == 0 else {
            let message = String(cString: strerror(errno))
            close(self.fd)
            throw TestFailure("connect \(host):\(port): \(message)")
        }
    }

    deinit {
        close(self.fd)
    }

    /// Our side of the socket pair: the ephemeral port the server will see.
    var localEndpoint: Endpoint {
        var storage = sockaddr_storage()
        var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
        _ = withUnsafeMutablePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { getsockname(self.fd, $0, &length) }
        }
        return endpoint(from: storage)
    }

    func send(_ bytes: [UInt8]) throws {
        var offset = 0
        while offset < bytes.count {
            let n = bytes[offset...].withUnsafeBytes {
                Glibc.send(self.fd, $0.baseAddress, $0.count, Int32(MSG_NOSIGNAL))
            }
            guard n > 0 else { throw TestFailure("send: \(String(cString: strerror(errno)))") }
            offset += n
        }
    }

    /// One datagram, empty ones included.
    func sendDatagram(_ bytes: [UInt8]) throws {
        let n = bytes.withUnsafeBytes { Glibc.send(self.fd, $0.baseAddress, $0.count, 0) }
        guard n == bytes.count else { throw TestFailure("send: \(String(cString: strerror(errno)))") }
    }

    /// Reads until EOF, `limit` bytes, or the timeout. `eof` says whether the peer closed.
    func receive(limit: Int = 1 << 24) -> (bytes: [UInt8], eof: Bool) {
        var all: [UInt8] = []
        var buffer = [UInt8](repeating: 0, count: 65536)
        while all.count < limit {
            let n = recv(self.fd, &buffer, min(buffer.count, limit - all.count), 0)
            if n > 0 {
                all += buffer[0..<n]
            } else {
                return (all, n == 0)
            }
        }
        return (all, false)
    }

    /// One datagram, or nil after the timeout.
    func receiveDatagram() -> [UInt8]? {
        var buffer = [UInt8](repeating: 0, count: 70000)
        let n = recv(self.fd, &buffer, buffer.count, 0)
        return n >= 0 ? Array(buffer[0..<n]) : nil
    }

    func shutdownWrite() {
        shutdown(self.fd, Int32(SHUT_WR))
    }

    /// Close with RST instead of FIN, as a client killed mid-stream would.
    func reset() {
        var linger = Glibc.linger(l_onoff: 1, l_linger: 0)
        setsockopt(self.fd, SOL_SOCKET, SO_LINGER, &linger, socklen_t(MemoryLayout<Glibc.linger>.size))
    }
}

func fillAddress(host: String, port: Int, into storage: inout sockaddr_storage) throws -> socklen_t {
    var hints = addrinfo()
    hints.ai_flags = AI_NUMERICHOST | AI_NUMERICSERV
    var result: UnsafeMutablePointer<addrinfo>?
    guard getaddrinfo(host, String(port), &hints, &result) == 0, let info = result else {
        throw TestFailure("not a numeric address: \(host)")
    }
    defer { freeaddrinfo(result) }
    let length = info.pointee.ai_addrlen
    withUnsafeMutableBytes(of: &storage) { raw in
        raw.copyMemory(from: UnsafeRawBufferPointer(start: info.pointee.ai_addr, count: Int(length)))
    }
    return length
}

func endpoint(from storage: sockaddr_storage) -> Endpoint {
    var copy = storage
    var host = [CChar](repeating: 0, count: Int(NI_MAXHOST))
    var service = [CChar](repeating: 0, count: Int(NI_MAXSERV))
    let length = socklen_t(
        storage.ss_family == sa_family_t(AF_INET6) ? MemoryLayout<sockaddr_in6>.size : MemoryLayout<sockaddr_in>.size
    )
    _ = withUnsafePointer(to: &copy) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
            getnameinfo(
                $0,
                length,
                &host,
                socklen_t(host.count),
                &service,
                socklen_t(service.count),
                NI_NUMERICHOST | NI_NUMERICSERV
            )
        }
    }
    return Endpoint(
        host: String(decoding: host.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self),
        port: Int(String(decoding: service.prefix { $0 != 0 }.map { UInt8(bitPattern: $0) }, as: UTF8.self)) ?? 0
    )
}

/// Whether both a TCP listener and a UDP socket could be bound on host:port right now.
func portIsFree(_ port: Int, host: String) -> Bool {
    for type in [SOCK_STREAM, SOCK_DGRAM] {
        var storage = sockaddr_storage()
        guard let length = try? fillAddress(host: host, port: port, into: &storage) else { return false }
        let fd = socket(Int32(storage.ss_family), Int32(type.rawValue), 0)
        defer { close(fd) }
        var one: Int32 = 1
        setsockopt(fd, SOL_SOCKET, SO_REUSEADDR, &one, socklen_t(MemoryLayout<Int32>.size))
        let bound = withUnsafePointer(to: &storage) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
        }
        if bound != 0 { return false }
    }
    return true
}

/// Ports free for TCP and UDP on `host`, drawn from a range the kernel does not hand out as ephemeral ports.
func freePorts(_ count: Int, host: String) throws -> [Int] {
    var ports: [Int] = []
    var generator = SystemRandomNumberGenerator()
    var attempts = 0
    while ports.count < count {
        attempts += 1
        guard attempts < 1000 else { throw TestFailure("no free ports") }
        let port = Int.random(in: 20000...30000, using: &generator)
        if !ports.contains(port), portIsFree(port, host: host) {
            ports.append(port)
        }
    }
    return ports
}

/// A socket bound (and for TCP, listening) on host:port, to make the daemon's bind fail.
func occupy(host: String, port: Int) throws -> Int32 {
    var storage = sockaddr_storage()
    let length = try fillAddress(host: host, port: port, into: &storage)
    let fd = socket(Int32(storage.ss_family), Int32(SOCK_STREAM.rawValue), 0)
    let bound = withUnsafePointer(to: &storage) {
        $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { bind(fd, $0, length) }
    }
    guard bound == 0, listen(fd, 1) == 0 else { throw TestFailure("cannot occupy \(host):\(port)") }
    return fd
}
