// The command line, and nothing else: parse, then hand over to WellKnownDaemon.
import ArgumentParser
import Logging
import WellKnownDaemon
import WellKnownLogging

@main
struct WellKnowndCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "wellknownd",
        abstract:
            "Serves echo, discard, chargen, qotd, daytime, time, tcpmux, ident (RFCs 862-868, 1078, 1413) and whoami.",
        // No blank lines: the manual generator turns this into mdoc, where an empty line is a warning.
        discussion: """
            Ports are mapped to services by a YAML file, described in wellknownd.yaml(5); every connection and \
            datagram is logged with its socket pair. Signals: SIGTERM and SIGINT shut down gracefully (a second one \
            at once), SIGHUP reloads the configuration, SIGUSR1 logs the counters. Examples:
              wellknownd --config config/wellknownd.yaml
              wellknownd run -c /etc/wellknownd/wellknownd.yaml --log-format json --log-level debug
              wellknownd check --config config/wellknownd.yaml
              wellknownd probe 127.0.0.1 daytime:6013 echo/udp:6007
              nc 127.0.0.1 6013          # daytime from the shipped configuration
            """,
        version: WellKnownd.version,
        subcommands: [Run.self, Check.self, Probe.self, Import.self],
        defaultSubcommand: Run.self
    )
}

struct ConfigOption: ParsableArguments {
    @Option(name: [.short, .long], help: "The configuration file.")
    var config: String = "/etc/wellknownd/wellknownd.yaml"
}

struct Run: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Serve until SIGTERM or SIGINT (the default command).",
        discussion:
            "Exit status: 0 after a clean shutdown, 78 (EX_CONFIG) for a bad configuration, 71 (EX_OSERR) when a "
            + "socket cannot be opened, 77 (EX_NOPERM) when root cannot be given up, 64 for a bad command line."
    )

    @OptionGroup var options: ConfigOption

    @Option(help: "Least severe level logged: trace, debug, info, notice, warning, error, critical.")
    var logLevel: String = "info"

    @Option(help: "Log line format: text (key=value) or json.")
    var logFormat: String = "text"

    func validate() throws {
        guard Logger.Level(rawValue: self.logLevel) != nil else {
            throw ValidationError(
                "--log-level must be one of \(Logger.Level.allCases.map(\.rawValue).joined(separator: ", "))"
            )
        }
        guard LogFormat(rawValue: self.logFormat) != nil else {
            throw ValidationError("--log-format must be text or json")
        }
    }

    func run() throws {
        let status = WellKnownd.runBlocking(
            WellKnownd.RunOptions(
                configPath: self.options.config,
                logLevel: Logger.Level(rawValue: self.logLevel) ?? .info,
                logFormat: LogFormat(rawValue: self.logFormat) ?? .text
            )
        )
        if status != WellKnownd.ExitStatus.success {
            throw ExitCode(status)
        }
    }
}

struct Check: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Validate the configuration and print what would be served; exit 0 if good, 78 if not."
    )

    @OptionGroup var options: ConfigOption

    func run() throws {
        let status = WellKnownd.check(configPath: self.options.config)
        if status != WellKnownd.ExitStatus.success {
            throw ExitCode(status)
        }
    }
}
