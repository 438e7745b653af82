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
func runToCompletion(_ arguments: [String], timeout: Duration = .seconds(20)) throws -> (
    status: Int32, stdout: String, stderr: String
) {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: daemonBinary)
    process.arguments = arguments
    let out = Pipe()
    let err = Pipe()
    process.standardOutput = out
    process.standardError = err
    try process.run()
    let outData = LockedData()
    let errData = LockedData()
    let readers = [
        Thread { outData.append(out.fileHandleForReading.readDataToEndOfFile()) },
        Thread { errData.append(err.fileHandleForReading.readDataToEndOfFile()) },
    ]
    readers.forEach { $0.start() }
    let deadline = ContinuousClock.now.advanced(by: timeout)
    while process.isRunning, ContinuousClock.now < deadline {
        usleep(10_000)
    }
    if process.isRunning {
        process.terminate()
        Issue.record("wellknownd \(arguments) did not finish within \(timeout)")
    }
    process.waitUntilExit()
    // Give the readers their EOF.
    let readDeadline = ContinuousClock.now.advanced(by: .seconds(5))
    while (!outData.finished || !errData.finished) && ContinuousClock.now < readDeadline {
        usleep(5_000)
    }
    return (process.terminationStatus, outData.text, errData.text)
}

final class LockedData: Sendable {
    private let box = NIOLockedValueBox<(Data, Bool)>((Data(), false))

    func append(_ data: Data) {
        self.box.withLockedValue {
            $0.0.append(data)
            $0.1 = true
        }
    }

    var text: String { self.box.withLockedValue { String(decoding: $0.0, as: UTF8.self) } }
    var finished: Bool { self.box.withLockedValue { $0.1 } }
}

/// A running daemon whose stderr (the log) is collected line by line.
final class DaemonProcess: Sendable {
    let process: Process
    private let log = NIOLockedValueBox<String>("")

    private init(arguments: [String], journal: Bool) throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: daemonBinary)
        process.arguments = arguments
        let err = Pipe()
        if journal {
            // What systemd does for a unit whose stderr is the journal: JOURNAL_STREAM names that stream.
            var info = stat()
            fstat(err.fileHandleForWriting.fileDescriptor, &info)
            var environment = ProcessInfo.processInfo.environment
            environment["JOURNAL_STREAM"] = "\(info.st_dev):\(info.st_ino)"
            process.environment = environment
        }
        process.standardError = err
        process.standardOutput = FileHandle.nullDevice
        self.process = process
        let log = self.log
        err.fileHandleForReading.readabilityHandler = { handle in
            let data = handle.availableData
            if data.isEmpty {
                handle.readabilityHandler = nil
            } else {
                log.withLockedValue { $0 += String(decoding: data, as: UTF8.self) }
            }
        }
        try process.run()
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
        daemon.process.waitUntilExit()
        return (nil, daemon.logText)
    }

    var logText: String { self.log.withLockedValue { $0 } }

    var logLines: [String] { self.logText.split(separator: "\n").map(String.init) }

    /// Waits for a log line containing every one of `fragments`.
    @discardableResult
    func waitForLog(containing fragments: String..., timeout: Duration = .seconds(10)) -> String? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        repeat {
            if let line = self.logLines.first(where: { line in fragments.allSatisfy { line.contains($0) } }) {
                return line
            }
            if !self.process.isRunning {
                usleep(50_000)
                return self.logLines.first { line in fragments.allSatisfy { line.contains($0) } }
            }
            usleep(10_000)
        } while ContinuousClock.now < deadline
        return nil
    }

    func signal(_ signal: Int32) {
        kill(self.process.processIdentifier, signal)
    }

    /// SIGTERM, then the exit status (nil if it had to be killed).
    func stop(timeout: Duration = .seconds(15)) -> Int32? {
        self.signal(SIGTERM)
        return self.waitForExit(timeout: timeout)
    }

    func waitForExit(timeout: Duration) -> Int32? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        while self.process.isRunning, ContinuousClock.now < deadline {
            usleep(10_000)
        }
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGKILL)
            self.process.waitUntilExit()
            return nil
        }
        // Let the last log bytes arrive.
        usleep(50_000)
        return self.process.terminationStatus
    }

    deinit {
        if self.process.isRunning {
            kill(self.process.processIdentifier, SIGKILL)
        }
    }
}

/// Starts a daemon on free ports: `makeConfig` receives fresh ports and returns the YAML. Ports can be taken by
/// someone else between the check and the bind, so a start that fails to bind (exit 71) is retried.
func startDaemon(
    in directory: TemporaryDirectory,
    portCount: Int,
    host: String,
    extraArguments: [String] = [],
    journal: Bool = false,
    makeConfig: ([Int]) -> String
) throws -> (DaemonProcess, [Int]) {
    var lastLog = ""
    for _ in 0..<5 {
        let ports = try freePorts(portCount, host: host)
        let config = try directory.write("wellknownd.yaml", makeConfig(ports))
        let (daemon, log) = try DaemonProcess.start(config: config, extraArguments: extraArguments, journal: journal)
        if let daemon { return (daemon, ports) }
        lastLog = log
    }
    throw TestFailure("the daemon did not start: \(lastLog)")
}

struct TestFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
