import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOPosix
import ServiceLifecycle
import WellKnownConfig
import WellKnownLogging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The daemon's entry points, called by the command line.
public enum WellKnownd {
    public static let version = "0.1.0"

    /// sysexits(3) codes the daemon exits with.
    public enum ExitStatus {
        public static let success: Int32 = 0
        /// EX_SOFTWARE: an internal error.
        public static let software: Int32 = 70
        /// EX_OSERR: a socket could not be opened.
        public static let osError: Int32 = 71
        /// EX_NOPERM: started as root, and root could not be given up.
        public static let noPermission: Int32 = 77
        /// EX_CONFIG: the configuration is wrong; nothing was bound.
        public static let config: Int32 = 78
    }

    public struct RunOptions: Sendable {
        public var configPath: String
        public var logLevel: Logger.Level
        public var logFormat: LogFormat

        public init(configPath: String, logLevel: Logger.Level = .info, logFormat: LogFormat = .text) {
            self.configPath = configPath
            self.logLevel = logLevel
            self.logFormat = logFormat
        }
    }

    /// `wellknownd check`: validates the configuration and prints the listening plan. Returns the exit status.
    public static func check(configPath: String) -> Int32 {
        do {
            let prepared = try ServiceTable.load(path: configPath, environment: SystemEnvironment.live)
            var out = "\(configPath): OK, \(prepared.listeners.count) listeners\n"
            let width = prepared.listeners.map(\.service.count).max() ?? 0
            for listener in prepared.listeners {
                let name = listener.service.padding(toLength: width, withPad: " ", startingAt: 0)
                out += "\(name)  \(listener.transport.rawValue)  \(listener.address)\n"
            }
            if let metrics = prepared.configuration.metrics {
                let urls = metrics.listenAddresses.map { "http://\($0)\(metrics.path)" }
                out += "metrics: \(urls.joined(separator: ", "))\n"
            }
            FileHandle.standardOutput.write(Data(out.utf8))
            return ExitStatus.success
        } catch {
            Self.report(error, journal: false)
            return ExitStatus.config
        }
    }

    /// `wellknownd run` from a synchronous `main`: the calling (main) thread waits here while the daemon runs.
    ///
    /// Not an async main on purpose: that hands the main thread to `dispatch_main()`, which ends it with
    /// `pthread_exit`. Privileges dropped later never reach a thread that has exited, so /proc/PID/status and ps
    /// would go on showing the thread group leader's root ids for a daemon that no longer runs as root.
    public static func runBlocking(_ options: RunOptions) -> Int32 {
        let done = DispatchSemaphore(value: 0)
        let status = NIOLockedValueBox(ExitStatus.software)
        Task {
            let result = await Self.run(options)
            status.withLockedValue { $0 = result }
            done.signal()
        }
        done.wait()
        return status.withLockedValue { $0 }
    }

    /// `wellknownd run`: serves until SIGTERM or SIGINT. Returns the exit status.
    public static func run(_ options: RunOptions) async -> Int32 {
        let environment = ProcessInfo.processInfo.environment
        let journal = stderrIsJournal(environment: environment)
        let load: @Sendable () throws(ConfigurationErrors) -> PreparedConfiguration = {
            () throws(ConfigurationErrors) in
            try ServiceTable.load(path: options.configPath, environment: SystemEnvironment.live)
        }
        let prepared: PreparedConfiguration
        do {
            prepared = try load()
        } catch {
            Self.report(error, journal: journal)
            return ExitStatus.config
        }
        let plan: ActivationPlan
        do {
            plan = try ActivationPlan(
                sockets: try SocketActivation.inheritedSockets(),
                configuration: prepared.configuration
            )
        } catch {
            Self.report(error, journal: journal)
            return ExitStatus.config
        }

        // A log reader that goes away (a closed pipe on stderr) must cost us the log, not the process: with
        // SIGPIPE ignored a write fails with EPIPE and the log sink stops writing.
        signal(SIGPIPE, SIG_IGN)
        let sink = LogSink()
        LoggingSystem.bootstrap { label in
            WellKnownLogHandler(
                label: label,
                sink: sink,
                format: options.logFormat,
                level: options.logLevel,
                journal: journal
            )
        }
        let logger = Logger(label: "wellknownd")
        // Lifecycle chatter from ServiceLifecycle is not the operator's business unless debugging.
        var lifecycleLogger = Logger(label: "wellknownd.lifecycle")
        lifecycleLogger.logLevel = min(max(options.logLevel, .notice), .critical)

        let group = MultiThreadedEventLoopGroup(numberOfThreads: UsableCores.count)
        let daemon = Daemon(
            prepared: prepared,
            plan: plan,
            group: group,
            logger: logger,
            notifier: SystemdNotifier(environment: environment),
            reread: load
        )
        let serviceGroup = ServiceGroup(
            configuration: ServiceGroupConfiguration(
                services: [.init(service: daemon)],
                gracefulShutdownSignals: [.sigterm, .sigint],
                logger: lifecycleLogger
            )
        )
        var status = ExitStatus.success
        do {
            try await serviceGroup.run()
        } catch let error as BindError {
            logger.critical("\(error.description)")
            status = ExitStatus.osError
        } catch let error as ActivationError {
            logger.critical("\(error.description)")
            status = ExitStatus.osError
        } catch let error as Privileges.DropError {
            logger.critical("\(error.description)")
            status = ExitStatus.noPermission
        } catch {
            logger.critical("stopped by an error: \(error)")
            status = ExitStatus.software
        }
        try? await group.shutdownGracefully()
        sink.flush()
        return status
    }

    /// Configuration errors go to stderr as plain `FILE:LINE:COLUMN: key: message` lines, one per problem; so do
    /// inherited sockets that cannot be served, one line each.
    private static func report(_ error: any Error, journal: Bool) {
        let lines =
            (error as? ConfigurationErrors)?.errors.map(\.description)
            ?? "\(error)".split(separator: "\n").map(String.init)
        let what = error is ActivationError ? "socket activation" : "the configuration"
        let prefix = journal ? "<3>" : ""
        var text = lines.map { "\(prefix)\($0)\n" }.joined()
        let count = "\(lines.count) problem\(lines.count == 1 ? "" : "s")"
        text += "\(prefix)wellknownd: \(what) has \(count); nothing was started\n"
        FileHandle.standardError.write(Data(text.utf8))
    }
}
