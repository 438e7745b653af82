import Foundation
import NIOConcurrencyHelpers
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The built `wellknownd` binary next to this test bundle (SwiftPM builds it first: this target depends on it).
let daemonBinary: String = {
    if let path = ProcessInfo.processInfo.environment["WELLKNOWND_BINARY"] { return path }
    let me = URL(fileURLWithPath: "/proc/self/exe").resolvingSymlinksInPath()
    var directory = me.deletingLastPathComponent()
    // The test binary lives inside the bundle on some platforms, beside the products on Linux.
    while !FileManager.default.fileExists(atPath: directory.appendingPathComponent("wellknownd").path),
        directory.path != "/"
    {
        directory = directory.deletingLastPathComponent()
    }
    return directory.appendingPathComponent("wellknownd").path
}()

/// A temporary directory for one test, removed when the test's value goes away.
final class TemporaryDirectory: Sendable {
    let path: String

    init() throws {
        let base = FileManager.default.temporaryDirectory.appendingPathComponent("wellknownd-test-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: base, withIntermediateDirectories: true)
        self.path = base.path
    }

    func write(_ name: String, _ contents: String) throws -> String {
        let file = "\(self.path)/\(name)"
        try contents.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }

    deinit {
        try? FileManager.default.removeItem(atPath: self.path)
    }
}

/// Runs the binary to completion and returns its status and output: for `check`, `--help` and failures.
func runToCompletion(
    _ arguments: [String],
    timeout: Duration = .seconds(20)
) throws -> (status: Int32, stdout: String, stderr: String) {
    let process = try Subprocess(daemonBinary, arguments)
    guard let status = process.waitForExit(timeout: timeout) else {
        process.signal(SIGKILL)
        throw TestFailure("wellknownd \(arguments) did not finish within \(timeout)")
    }
    return (status, process.stdout, process.stderr)
}

/// A running daemon whose stderr (the log) is collected line by line.
final class DaemonProcess: Sendable {
    let process: Subprocess

    private init(arguments: [String], journal: Bool, executable: String = daemonBinary) throws {
        var environment = ProcessInfo.processInfo.environment
        if journal {
            // What systemd does for a unit whose stderr is the journal: JOURNAL_STREAM names that stream. The
            // child's stderr is a pipe made at spawn time, so the daemon is started through a shell that exports
            // the pipe's device and inode (stat -L /dev/stderr) before it execs.
            self.process = try Subprocess(
                "/bin/sh",
                ["-c", "JOURNAL_STREAM=$(stat -L -c %d:%i /dev/stderr) exec \"$0\" \"$@\"", executable] + arguments,
                environment: environment
            )
            return
        }
        environment["JOURNAL_STREAM"] = nil
        self.process = try Subprocess(executable, arguments, environment: environment)
    }

    /// Starts the daemon and waits for its `started` line. Returns nil (with the log) when it exited instead.
    static func start(
        config: String,
        extraArguments: [String] = [],
        journal: Bool = false
    ) throws -> (DaemonProcess?, String) {
        let daemon = try DaemonProcess(arguments: ["run", "--config", config] + extraArguments, journal: journal)
        // "started" is in the first line in both log formats; an early exit ends the wait too.
        if daemon.waitForLog(containing: "started", timeout: .seconds(20)) != nil {
            return (daemon, daemon.logText)
        }
        _ = daemon.process.waitForExit(timeout: .seconds(10))
        return (nil, daemon.logText)
    }

    /// Starts any command (systemd-socket-activate wrapping the daemon, say) without waiting for anything.
    static func launch(_ executable: String, _ arguments: [String]) throws -> DaemonProcess {
        try DaemonProcess(arguments: arguments, journal: false, executable: executable)
    }

    var logText: String { self.process.stderr }

    var logLines: [String] { self.logText.split(separator: "\n").map(String.init) }

    var isRunning: Bool { self.process.isRunning }

    /// Waits for a log line containing every one of `fragments`.
    @discardableResult
    func waitForLog(containing fragments: String..., timeout: Duration = .seconds(10)) -> String? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while true {
            let running = self.process.isRunning
            if let line = self.logLines.first(where: { line in fragments.allSatisfy { line.contains($0) } }) {
                return line
            }
            if !running || ContinuousClock.now > deadline { return nil }
            usleep(10_000)
        }
    }

    func signal(_ signal: Int32) {
        self.process.signal(signal)
    }

    /// SIGTERM, then the exit status (nil if it had to be killed).
    func stop(timeout: Duration = .seconds(15)) -> Int32? {
        self.signal(SIGTERM)
        return self.waitForExit(timeout: timeout)
    }

    func waitForExit(timeout: Duration) -> Int32? {
        if let status = self.process.waitForExit(timeout: timeout) {
            return status
        }
        self.process.signal(SIGKILL)
        _ = self.process.waitForExit(timeout: .seconds(5))
        return nil
    }
}

/// Starts a daemon whose entries listen on ports the kernel picks: `makeConfig` receives a 0 for each of the
/// `portCount` places a port goes in and returns the YAML. Returns the daemon and the ports it really bound, one
/// per entry in file order, as its `started` line lists them.
func startDaemon(
    in directory: TemporaryDirectory,
    portCount: Int,
    host: String,
    extraArguments: [String] = [],
    journal: Bool = false,
    makeConfig: ([Int]) -> String
) throws -> (DaemonProcess, [Int]) {
    let config = try directory.write("wellknownd.yaml", makeConfig(Array(repeating: 0, count: portCount)))
    let (daemon, log) = try DaemonProcess.start(config: config, extraArguments: extraArguments, journal: journal)
    guard let daemon, let started = daemon.waitForLog(containing: "started") else {
        throw TestFailure("the daemon did not start: \(log)")
    }
    let ports = boundPorts(in: started)
    guard ports.count >= portCount else {
        throw TestFailure("expected \(portCount) ports in the started line: \(started)")
    }
    return (daemon, ports)
}

/// The ports of `ip:port` endpoints in a log line (a `started` or `configuration reloaded` line's listener
/// labels), each once, in the order they first appear.
func boundPorts(in line: String) -> [Int] {
    var ports: [Int] = []
    for match in line.matches(of: /(?:\d+\.\d+\.\d+\.\d+|\[[0-9a-f:]+\]):(\d+)/) {
        if let port = Int(match.output.1), !ports.contains(port) {
            ports.append(port)
        }
    }
    return ports
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
