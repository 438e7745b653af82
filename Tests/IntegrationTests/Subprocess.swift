import Foundation
import NIOConcurrencyHelpers

#if canImport(Glibc)
import Glibc
#endif

/// A child process started with posix_spawn, its stdout and stderr collected by reader threads, its exit status
/// from waitpid(2). (Foundation's Process on Linux could hang in waitUntilExit and never noticed some exits while
/// other tests ran processes of their own.)
final class Subprocess: Sendable {
    let pid: pid_t
    private let output = NIOLockedValueBox<(stdout: Data, stderr: Data, closed: Int)>((Data(), Data(), 0))
    private let exit = NIOLockedValueBox<Int32?>(nil)

    init(_ executable: String, _ arguments: [String], environment: [String: String]? = nil) throws {
        var outPipe: [Int32] = [0, 0]
        var errPipe: [Int32] = [0, 0]
        // pipe2(O_CLOEXEC) is not visible from Swift's Glibc; set the flag at once so that processes other tests
        // spawn meanwhile hold these pipes as briefly as possible (the child gets its ends through dup2).
        guard pipe(&outPipe) == 0, pipe(&errPipe) == 0 else {
            throw TestFailure("pipe: \(String(cString: strerror(errno)))")
        }
        for fd in outPipe + errPipe {
            _ = fcntl(fd, F_SETFD, FD_CLOEXEC)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_adddup2(&actions, outPipe[1], 1)
        posix_spawn_file_actions_adddup2(&actions, errPipe[1], 2)
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        // Nothing else of the test process: tests run in parallel, and a client socket of one test inherited by
        // another test's daemon would stay open after the test closed it (the peer would never see it end).
        // (glibc 2.34's posix_spawn_file_actions_addclosefrom_np, which the Glibc module does not import.)
        typealias AddCloseFrom = @convention(c) (UnsafeMutablePointer<posix_spawn_file_actions_t>, Int32) -> Int32
        guard let symbol = dlsym(nil, "posix_spawn_file_actions_addclosefrom_np") else {
            throw TestFailure("posix_spawn_file_actions_addclosefrom_np is missing (glibc < 2.34)")
        }
        guard unsafeBitCast(symbol, to: AddCloseFrom.self)(&actions, 3) == 0 else {
            throw TestFailure("posix_spawn_file_actions_addclosefrom_np failed")
        }

        let argv = ([executable] + arguments).map { strdup($0) } + [nil]
        let env = (environment ?? ProcessInfo.processInfo.environment).map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer {
            argv.forEach { free($0) }
            env.forEach { free($0) }
        }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, nil, argv, env)
        close(outPipe[1])
        close(errPipe[1])
        guard result == 0 else {
            close(outPipe[0])
            close(errPipe[0])
            throw TestFailure("posix_spawn \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        for (fd, isStdout) in [(outPipe[0], true), (errPipe[0], false)] {
            let output = self.output
            Thread {
                var buffer = [UInt8](repeating: 0, count: 65536)
                while true {
                    let n = read(fd, &buffer, buffer.count)
                    if n <= 0 { break }
                    output.withLockedValue {
                        if isStdout {
                            $0.stdout.append(contentsOf: buffer[0..<n])
                        } else {
                            $0.stderr.append(contentsOf: buffer[0..<n])
                        }
                    }
                }
                close(fd)
                output.withLockedValue { $0.closed += 1 }
            }.start()
        }
    }

    deinit {
        if self.isRunning {
            kill(self.pid, SIGKILL)
            _ = self.waitForExit(timeout: .seconds(5))
        }
    }

    var stdout: String { self.output.withLockedValue { String(decoding: $0.stdout, as: UTF8.self) } }
    var stderr: String { self.output.withLockedValue { String(decoding: $0.stderr, as: UTF8.self) } }

    /// Reaps the child if it has exited.
    var isRunning: Bool {
        self.exit.withLockedValue { status in
            guard status == nil else { return false }
            var raw: Int32 = 0
            let reaped = waitpid(self.pid, &raw, WNOHANG)
            guard reaped == self.pid else { return reaped == 0 }
            // WIFEXITED: the exit code; otherwise 128 + the signal, as a shell reports it.
            status = (raw & 0x7F) == 0 ? (raw >> 8) & 0xFF : 128 + (raw & 0x7F)
            return false
        }
    }

    func signal(_ signal: Int32) {
        if self.isRunning { kill(self.pid, signal) }
    }

    /// The exit status once the process has ended and its output has been read to the end, or nil on timeout.
    func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while self.isRunning {
            if ContinuousClock.now > deadline { return nil }
            usleep(5_000)
        }
        // The output pipes close when the last process holding them exits.
        let outputDeadline = ContinuousClock.now.advanced(by: .seconds(2))
        while self.output.withLockedValue({ $0.closed }) < 2, ContinuousClock.now < outputDeadline {
            usleep(5_000)
        }
        return self.exit.withLockedValue { $0 }
    }
}
