import ArgumentParser
import Foundation
import WellKnownProbe

struct Probe: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Test a host's small services and say exactly what came back.",
        discussion: """
            Connects to HOST (a name, an IPv4 or IPv6 address, or unix:PATH) and probes each SERVICE \
            (SERVICE[/tcp|/udp][:PORT]; by default every built-in with a well-known port, over TCP and UDP), \
            verifying every answer as its RFC defines it. One line per probe: service, protocol, the socket pair \
            the client saw, the round trip, and a verdict: ok, wrong (and what was wrong), refused (RST, or ICMP \
            port unreachable over UDP), timeout (filtered or lost), or reset. Exit status: 0 when every probe is \
            ok, 1 when any is not, 64 for a bad command line, 68 when HOST does not resolve. Examples:
              wellknownd probe 127.0.0.1 daytime:6013 echo:6007
              wellknownd probe --count 10 --json ::1 echo/udp:6007
              wellknownd probe unix:/run/wellknownd/echo.sock echo
            """
    )

    @Flag(help: "One JSON object per probe (and per summary), for scripts.")
    var json = false

    @Option(help: "Seconds each probe may take, from connect to the end of the answer.")
    var timeout: Double = 2

    @Option(help: "Probes per service; with more than one, min/median/max round trip and loss follow.")
    var count: Int = 1

    @Option(help: "Bytes echo sends (UDP: at most 65507), chargen reads and discard sends.")
    var size: Int = 512

    @Option(help: "Seconds a time answer (or a daytime line with a UTC offset) may be off the local clock.")
    var maxSkew: Double = 5

    @Flag(name: .customShort("4"), help: "IPv4 addresses of HOST only.")
    var ipv4Only = false

    @Flag(name: .customShort("6"), help: "IPv6 addresses of HOST only.")
    var ipv6Only = false

    @Argument(help: "A host name, an IPv4 or IPv6 address, or unix:PATH.")
    var host: String

    @Argument(help: "SERVICE[/tcp|/udp][:PORT], e.g. daytime:6013 or echo/udp:6007.")
    var services: [String] = []

    func targets() throws -> [ProbeTarget] {
        guard !self.services.isEmpty else { return ProbeTarget.everyWellKnown }
        var targets: [ProbeTarget] = []
        for text in self.services {
            do {
                targets += try ProbeTarget.parse(text, local: self.host.hasPrefix("unix:"))
            } catch {
                throw ValidationError(error.description)
            }
        }
        return targets
    }

    func validate() throws {
        guard self.timeout > 0 && self.timeout <= 3600 else { throw ValidationError("--timeout must be 0-3600 s") }
        guard (1...1_000_000).contains(self.count) else { throw ValidationError("--count must be 1-1000000") }
        guard (0...(64 << 20)).contains(self.size) else { throw ValidationError("--size must be 0-67108864") }
        guard self.maxSkew >= 0 else { throw ValidationError("--max-skew must not be negative") }
        guard !(self.ipv4Only && self.ipv6Only) else { throw ValidationError("-4 and -6 exclude each other") }
        let targets = try self.targets()
        if self.size > ProbeOptions.maximumDatagram,
            targets.contains(where: { $0.transport == .udp && ($0.service == "echo" || $0.service == "discard") })
        {
            throw ValidationError("--size: a UDP datagram holds at most \(ProbeOptions.maximumDatagram) bytes")
        }
    }

    func run() throws {
        let status = ProbeRun.run(
            host: self.host,
            family: self.ipv4Only ? .ipv4 : self.ipv6Only ? .ipv6 : .any,
            targets: try self.targets(),
            options: ProbeOptions(
                timeout: .milliseconds(Int64(self.timeout * 1000)),
                count: self.count,
                size: self.size,
                maxSkew: self.maxSkew
            ),
            json: self.json,
            output: { FileHandle.standardOutput.write(Data(($0 + "\n").utf8)) },
            errors: { FileHandle.standardError.write(Data(($0 + "\n").utf8)) }
        )
        if status != ProbeRun.ExitStatus.allOK {
            throw ExitCode(status)
        }
    }
}
