import Foundation
import Testing
import WellKnownServices

#if canImport(Glibc)
import Glibc
#endif

@Suite struct CommandLineTests {
    @Test func checkPrintsTheListeningPlanOfTheShippedConfig() throws {
        let shipped = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent("config/wellknownd.yaml").path
        let result = try runToCompletion(["check", "--config", shipped])
        #expect(result.status == 0)
        let lines = result.stdout.split(separator: "\n").map(String.init)
        #expect(lines.first == "\(shipped): OK, 32 listeners")
        #expect(lines.contains("daytime  tcp  127.0.0.1:6013"))
        #expect(lines.contains("chargen  udp  [::1]:6019"))
        #expect(lines.contains("whoami   udp  [::1]:6099"))
        #expect(lines.contains("tcpmux   tcp  [::1]:6001"))
        #expect(lines.contains("ident    tcp  127.0.0.1:6113"))
        #expect(lines.count == 33)
    }

    @Test func checkReportsEveryProblemWithItsPositionAndExits78() throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write(
            "bad.yaml",
            "services:\n  - service: daytime\n    port: 70000\n    prot: 13\n    zone: Nowhere/Land\n"
        )
        let result = try runToCompletion(["check", "-c", config])
        #expect(result.status == 78)
        #expect(result.stderr.contains("\(config):3:11: services[0].port: port 70000 is outside 0...65535"))
        #expect(
            result.stderr.contains(
                "\(config):4:5: services[0].prot: unknown key 'prot' for service daytime (did you mean 'port'?)"
            )
        )
        #expect(result.stdout.isEmpty)
    }

    @Test func aZoneOnlyTheServiceCanJudgeIsAlsoPositioned() throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write(
            "zone.yaml",
            "services:\n  - service: daytime\n    port: 6013\n    zone: Nowhere/Land\n"
        )
        let result = try runToCompletion(["check", "-c", config])
        #expect(result.status == 78)
        #expect(result.stderr.hasPrefix("\(config):4:11: services[0].zone: unknown time zone 'Nowhere/Land'"))
    }

    @Test func versionAndHelp() throws {
        let version = try runToCompletion(["--version"])
        #expect(version.status == 0)
        #expect(
            version.stdout.trimmingCharacters(in: .whitespacesAndNewlines).wholeMatch(of: /[0-9]+\.[0-9]+\.[0-9]+/)
                != nil
        )
        let help = try runToCompletion(["--help"])
        #expect(help.status == 0)
        #expect(help.stdout.contains("Examples:"))
        #expect(help.stdout.contains("check"))
        let bad = try runToCompletion(["run", "--log-format", "xml"])
        #expect(bad.status == 64)
        #expect(bad.stderr.contains("--log-format must be text or json"))
    }
}

@Suite struct LifecycleTests {
    @Test func aBadConfigBindsNothingAndExits78() throws {
        let directory = try TemporaryDirectory()
        let port = try freePorts(1, host: "127.0.0.1")[0]
        let config = try directory.write(
            "bad.yaml",
            "bind: 127.0.0.1\nservices:\n  - {service: echo, port: \(port)}\n  - {service: nope, port: \(port + 1)}\n"
        )
        let result = try runToCompletion(["run", "-c", config])
        #expect(result.status == 78)
        #expect(result.stderr.contains("\(config):4:15: services[1].service: unknown service 'nope'"))
        #expect(result.stderr.contains("nothing was started"))
        #expect(portIsFree(port, host: "127.0.0.1"), "the good entry must not have been bound either")
    }

    @Test(arguments: ["tcp", "udp"])
    func aSecondDaemonOnTheSamePortFailsDespiteSOReusePort(transport: String) throws {
        let directory = try TemporaryDirectory()
        let (first, ports) = try startDaemon(in: directory, portCount: 1, host: "127.0.0.1") { p in
            "services:\n  - {service: time, port: \(p[0]), transport: \(transport), bind: 127.0.0.1}\n"
        }
        let taken = try directory.write(
            "second.yaml",
            "services:\n  - {service: time, port: \(ports[0]), transport: \(transport), bind: 127.0.0.1}\n"
        )
        let second = try runToCompletion(["run", "-c", taken])
        #expect(second.status == 71, "\(second.stderr)")
        #expect(
            second.stderr.contains(
                "cannot listen on \(transport) 127.0.0.1:\(ports[0]) for time: Address already in use (errno 98)"
            )
        )
        #expect(first.stop() == 0)
    }

    @Test func aBindFailureNamesTheAddressPortAndCauseAndExits71() throws {
        let directory = try TemporaryDirectory()
        let port = try freePorts(1, host: "127.0.0.1")[0]
        let blocker = try occupy(host: "127.0.0.1", port: port)
        defer { close(blocker) }
        let config = try directory.write(
            "busy.yaml",
            "services:\n  - {service: echo, port: \(port), transport: tcp, bind: 127.0.0.1}\n"
        )
        let result = try runToCompletion(["run", "-c", config])
        #expect(result.status == 71)
        #expect(
            result.stderr.contains("cannot listen on tcp 127.0.0.1:\(port) for echo: Address already in use (errno 98)")
        )
    }

    @Test func sigtermStopsAcceptingLetsOpenConnectionsRunForTheGracePeriodThenClosesThem() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 1, host: "127.0.0.1") { p in
            "grace-period: 1.5\nservices:\n  - {service: echo, port: \(p[0]), transport: tcp, bind: 127.0.0.1}\n"
        }
        let open = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_STREAM.rawValue))
        try open.send(Array("before".utf8))
        #expect(open.receive(limit: 6).bytes == Array("before".utf8))

        let stopped = ContinuousClock.now
        daemon.signal(SIGTERM)
        #expect(daemon.waitForRecord(["msg": "shutting down", "connections_open": "1"]) != nil)
        // The listener is gone, the open connection still echoes.
        #expect(throws: TestFailure.self) {
            _ = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_STREAM.rawValue))
        }
        try open.send(Array("during".utf8))
        #expect(open.receive(limit: 6).bytes == Array("during".utf8))

        // After the grace period the daemon closes it, says why, and exits 0.
        let (rest, eof) = open.receive()
        #expect(rest.isEmpty)
        #expect(eof)
        #expect(ContinuousClock.now - stopped >= .milliseconds(1400))
        #expect(daemon.waitForExit(timeout: .seconds(10)) == 0)
        let record = try #require(daemon.waitForRecord(["msg": "connection", "end": "shutdown"]))
        #expect(record["client"] == open.localEndpoint.description)
        #expect(record["bytes_in"] == "12")
        #expect(daemon.waitForRecord(["msg": "stopped", "connections": "1"]) != nil)
    }

    @Test func aSecondSigtermEndsTheGracePeriodAtOnce() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 1, host: "127.0.0.1") { p in
            "grace-period: 60\nservices:\n  - {service: echo, port: \(p[0]), transport: tcp, bind: 127.0.0.1}\n"
        }
        let open = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_STREAM.rawValue))
        try open.send([7])
        #expect(open.receive(limit: 1).bytes == [7])
        daemon.signal(SIGTERM)
        #expect(daemon.waitForRecord(["msg": "shutting down", "connections_open": "1"]) != nil)
        let second = ContinuousClock.now
        daemon.signal(SIGTERM)
        #expect(daemon.waitForExit(timeout: .seconds(10)) == 0)
        #expect(ContinuousClock.now - second < .seconds(10), "not the 60 s grace period")
        #expect(open.receive().eof)
        #expect(daemon.waitForRecord(["msg": "second signal: closing open connections now"]) != nil)
        #expect(daemon.waitForRecord(["msg": "connection", "end": "shutdown"]) != nil)
    }

    @Test func jsonLogLinesParse() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(
            in: directory,
            portCount: 1,
            host: "::1",
            extraArguments: ["--log-format", "json"]
        ) { p in
            "services:\n  - {service: time, port: \(p[0]), bind: \"::1\"}\n"
        }
        let tcp = try TestSocket(host: "::1", port: ports[0], type: Int32(SOCK_STREAM.rawValue))
        #expect(tcp.receive().bytes.count == 4)
        let client = tcp.localEndpoint.description
        #expect(daemon.stop() == 0)
        let objects = daemon.logLines.compactMap {
            try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any]
        }
        #expect(objects.count == daemon.logLines.count, "every line is one JSON object")
        let connection = try #require(objects.first { $0["msg"] as? String == "connection" })
        #expect(connection["client"] as? String == client)
        #expect(connection["server"] as? String == "[::1]:\(ports[0])")
        #expect(connection["bytes_out"] as? Int == 4)
        #expect(connection["level"] as? String == "info")
        #expect(connection["ts"] is String)
    }

    @Test func underTheJournalEveryLineCarriesItsSyslogPriority() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 1, host: "127.0.0.1", journal: true) { p in
            "services:\n  - {service: daytime, port: \(p[0]), transport: udp, bind: 127.0.0.1}\n"
        }
        let udp = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_DGRAM.rawValue))
        try udp.sendDatagram([])
        #expect(udp.receiveDatagram()?.count == 26)
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLog(containing: "configuration reloaded") != nil)
        #expect(daemon.stop() == 0)
        let lines = daemon.logLines
        #expect(lines.contains { $0.hasPrefix("<6>level=info msg=datagram service=daytime proto=udp") })
        #expect(lines.contains { $0.hasPrefix("<5>level=notice msg=\"configuration reloaded\"") })
        #expect(lines.allSatisfy { $0.hasPrefix("<") && !$0.contains("ts=") }, "the journal stamps lines itself")
    }

    @Test func sigusr1LogsTheCounters() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 1, host: "127.0.0.1") { p in
            "services:\n  - {service: daytime, port: \(p[0]), transport: udp, bind: 127.0.0.1}\n"
        }
        let udp = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_DGRAM.rawValue))
        try udp.sendDatagram([])
        #expect(udp.receiveDatagram()?.count == 26)
        daemon.signal(SIGUSR1)
        let counters = try #require(daemon.waitForRecord(["msg": "counters", "datagrams": "1", "replies": "1"]))
        #expect(counters["per_service"] == "daytime/udp:1/1/0/0/26", "received/replied/dropped/bytes_in/bytes_out")
        #expect(counters["datagrams_dropped_by_reason"] == "none")
        #expect(daemon.stop() == 0)
    }

    @Test func sighupWithABadConfigLogsEveryErrorAndKeepsServing() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 1, host: "127.0.0.1") { p in
            "services:\n  - {service: echo, port: \(p[0]), transport: tcp, bind: 127.0.0.1}\n"
        }
        let open = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_STREAM.rawValue))
        let config = try directory.write(
            "wellknownd.yaml",
            "services:\n  - {service: echo, port: 70000}\n  - {service: ech}\n"
        )
        daemon.signal(SIGHUP)
        #expect(daemon.waitForLog(containing: "reload failed") != nil)
        let problems = daemon.logLines.compactMap { parseLogfmt($0)["problem"] }
        #expect(
            problems == [
                "\(config):2:27: services[0].port: port 70000 is outside 0...65535",
                "\(config):3:15: services[1].service: unknown service 'ech' (did you mean 'echo'?) (known: \(ServiceCatalog.all.map(\.name).joined(separator: ", ")))",
                "\(config):3:5: services[1]: missing key 'port' (or 'path' for an AF_UNIX socket)",
            ]
        )
        // Still serving, the open connection and new ones alike.
        try open.send(Array("still here".utf8))
        #expect(open.receive(limit: 10).bytes == Array("still here".utf8))
        let fresh = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_STREAM.rawValue))
        try fresh.send([1])
        #expect(fresh.receive(limit: 1).bytes == [1])
        #expect(daemon.isRunning)
        #expect(daemon.stop() == 0)
    }
}
