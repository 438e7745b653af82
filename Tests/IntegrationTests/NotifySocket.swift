import Foundation

#if canImport(Glibc)
import Glibc
#endif

/// Plays the service manager's side of sd_notify(3): an AF_UNIX datagram socket whose path is given to the daemon
/// as NOTIFY_SOCKET, collecting every message it sends.
final class NotifySocket {
    let path: String
    private let fd: Int32
    private(set) var messages: [String] = []

    init(in directory: TemporaryDirectory) throws {
        self.path = "\(directory.path)/notify"
        self.fd = socket(AF_UNIX, Int32(SOCK_DGRAM.rawValue), 0)
        var address = sockaddr_un()
        address.sun_family = sa_family_t(AF_UNIX)
        let bytes = Array(self.path.utf8) + [0]
        guard bytes.count <= MemoryLayout.size(ofValue: address.sun_path) else { throw TestFailure("path too long") }
        withUnsafeMutableBytes(of: &address.sun_path) { $0.copyBytes(from: bytes) }
        let bound = withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                bind(self.fd, $0, socklen_t(MemoryLayout<sockaddr_un>.size))
            }
        }
        guard bound == 0 else { throw TestFailure("bind \(self.path): \(String(cString: strerror(errno)))") }
        // Writable by all, as systemd's own notify socket is: a daemon started as root notifies as nobody.
        chmod(self.path, 0o777)
        var tv = timeval(tv_sec: 0, tv_usec: 100_000)
        setsockopt(self.fd, SOL_SOCKET, SO_RCVTIMEO, &tv, socklen_t(MemoryLayout<timeval>.size))
    }

    deinit {
        close(self.fd)
    }

    /// Waits for a message with a line equal to `line` (`READY=1`) or starting with it (`STATUS=`), and returns it.
    func waitFor(_ line: String, timeout: Duration = .seconds(10)) -> String? {
        func matches(_ message: String) -> Bool {
            message.split(separator: "\n").contains { $0 == line || (line.hasSuffix("=") && $0.hasPrefix(line)) }
        }
        let deadline = ContinuousClock.now.advanced(by: timeout)
        repeat {
            // Messages are consumed in order: what came before the one found is dropped with it.
            if let index = self.messages.indices.first(where: { matches(self.messages[$0]) }) {
                let message = self.messages[index]
                self.messages.removeSubrange(0...index)
                return message
            }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let n = recv(self.fd, &buffer, buffer.count, 0)
            if n > 0 {
                self.messages.append(String(decoding: buffer[0..<n], as: UTF8.self))
            }
        } while ContinuousClock.now < deadline
        return nil
    }
}
