import Foundation
import Testing
import WellKnownConfig

@testable import WellKnownDaemon
@testable import WellKnownLogging

#if canImport(Glibc)
import Glibc
#endif

/// Real sockets of every kind systemd can pass, made by the test and closed when it ends.
final class SocketZoo {
    private(set) var fds: [Int32] = []
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent("wk-activation-\(UUID().uuidString)")

    init() throws {
        try FileManager.default.createDirectory(at: self.directory, withIntermediateDirectories: true)
    }

    deinit {
        for fd in self.fds { close(fd) }
        try? FileManager.default.removeItem(at: self.directory)
    }

    /// A socket bound to 127.0.0.1 on a kernel-chosen port; listening for streams.
    func inet(_ type: Int32, backlog: Int32 = 16) throws -> (fd: Int32, port: Int) {
        let fd = socket(AF_INET, type, 0)
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_addr.s_addr = UInt32(0x7F00_0001).bigEndian
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, length) == 0 && getsockname(fd, $0, &length) == 0
            }
        }
        guard bound, type != Int32(SOCK_STREAM.rawValue) || listen(fd, backlog) == 0 else { throw TestError("bind") }
        self.fds.append(fd)
        return (fd, Int(UInt16(bigEndian: address.sin_port)))
    }

    func unix(_ type: Int32, name: String) throws -> Int32 {
        let fd = socket(AF_UNIX, type, 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let path = self.directory.appendingPathComponent(name).path
        withUnsafeMutableBytes(of: &address.sun_path) { raw in
            raw.copyBytes(from: Array(path.utf8) + [0])
        }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0, type != Int32(SOCK_STREAM.rawValue) || listen(fd, 8) == 0 else {
            throw TestError("bind unix")
        }
        self.fds.append(fd)
        return fd
    }

    /// One end of a connected stream pair: what `Accept=yes` hands over.
    func connectedStream() -> Int32 {
        var pair: [Int32] = [0, 0]
        socketpair(AF_UNIX, Int32(SOCK_STREAM.rawValue), 0, &pair)
        self.fds += pair
        return pair[0]
    }

    func pipeEnd() -> Int32 {
        var ends: [Int32] = [0, 0]
        pipe(&ends)
        self.fds += ends
        return ends[0]
    }
}

struct TestError: Error {
    let what: String
    init(_ what: String) { self.what = what }
}

@Suite struct SocketInspectionTests {
    @Test func everyKindIsRecognisedByWhatItIsNotByPosition() throws {
        let zoo = try SocketZoo()
        let tcp = try zoo.inet(Int32(SOCK_STREAM.rawValue), backlog: 77)
        let udp = try zoo.inet(Int32(SOCK_DGRAM.rawValue))
        let unixStream = try zoo.unix(Int32(SOCK_STREAM.rawValue), name: "s.sock")
        let unixDatagram = try zoo.unix(Int32(SOCK_DGRAM.rawValue), name: "d.sock")

        let t = SocketActivation.inspect(fd: tcp.fd, name: "daytime")
        #expect(t.kind == .tcpListener)
        #expect(t.localAddress?.logDescription == "127.0.0.1:\(tcp.port)")
        #expect(t.backlog == 77, "systemd's backlog, read back from the kernel")
        #expect(t.description == "fd \(tcp.fd) (name \"daytime\", TCP listener on 127.0.0.1:\(tcp.port))")

        let u = SocketActivation.inspect(fd: udp.fd, name: "x")
        #expect(u.kind == .udp)
        #expect(u.port == udp.port)
        #expect(u.backlog == nil)

        #expect(SocketActivation.inspect(fd: unixStream, name: "echo").kind == .unixStreamListener)
        #expect(
            SocketActivation.inspect(fd: unixStream, name: "echo").localAddress?.logDescription.hasSuffix("/s.sock")
                == true
        )
        #expect(SocketActivation.inspect(fd: unixDatagram, name: "echo").kind == .unixDatagram)
        #expect(SocketActivation.inspect(fd: zoo.connectedStream(), name: "echo").kind == .connectedStream)
        #expect(SocketActivation.inspect(fd: zoo.pipeEnd(), name: "echo").kind == .unsupported("FIFO"))
        #expect(SocketActivation.inspect(fd: 999, name: "gone").kind == .unsupported("not a socket"))
    }

    @Test func notActivatedMeansNoSockets() throws {
        // LISTEN_PID is not ours (or absent) in the test process.
        #expect(try SocketActivation.inheritedSockets().isEmpty)
    }
}
