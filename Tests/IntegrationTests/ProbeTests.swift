import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// `wellknownd probe` against the daemon itself and against servers that answer wrongly in each way a probe
/// must catch.
@Suite struct ProbeTests {
    static let services = ["echo", "discard", "chargen", "daytime", "time", "qotd", "whoami", "tcpmux", "ident"]

    func probe(_ arguments: [String]) throws -> (status: Int32, lines: [String], stderr: String) {
        let result = try runToCompletion(["probe"] + arguments, timeout: .seconds(60))
        return (result.status, result.stdout.split(separator: "\n").map(String.init), result.stderr)
    }

    @Test func everyServiceOfTheDaemonIsOKOverTCPAndUDPOnIPv4IPv6AndAFUnix() throws {
        let directory = try TemporaryDirectory()
        let socketPath = directory.path + "/echo.sock"
        let (daemon, ports) = try startDaemon(in: directory, portCount: Self.services.count, host: "127.0.0.1") { p in
            "services:\n"
                + zip(Self.services, p).map { "  - {service: \($0), port: \($1)}\n" }.joined()
                + "  - {service: echo, path: \(socketPath)}\n"
                + "  - {service: echo, path: \(socketPath).dgram, transport: udp}\n"
                + "  - {service: whoami, path: \(socketPath).whoami}\n"
        }
        defer { _ = daemon.stop() }
        let targets = zip(Self.services, ports).map { "\($0):\($1)" }
        for host in ["127.0.0.1", "::1"] {
            let run = try self.probe([host] + targets)
            #expect(run.status == 0, "\(run.lines.joined(separator: "\n"))\n\(run.stderr)")
            // Every service over TCP, and every one but tcpmux and ident over UDP.
            #expect(run.lines.count == Self.services.count * 2 - 2)
            for line in run.lines {
                #expect(line.contains("  ok: "), "\(line)")
            }
            let loopback = host == "::1" ? "\\[::1\\]" : "127\\.0\\.0\\.1"
            let echo = try #require(run.lines.first { $0.hasPrefix("echo/tcp") })
            #expect(
                echo.wholeMatch(
                    of: try Regex(
                        "echo/tcp  \(loopback):\\d+ -> \(loopback):\(ports[0])  [0-9.]+ ms  ok: 512 bytes echoed"
                    )
                ) != nil,
                "\(echo)"
            )
            #expect(
                run.lines.contains {
                    $0.hasPrefix("whoami/udp") && $0.hasSuffix("ok: the server saw the same socket pair")
                }
            )
            #expect(run.lines.contains { $0.hasPrefix("ident/tcp") && $0.hasSuffix("ok: ERROR : HIDDEN-USER") })
            #expect(run.lines.contains { $0.hasPrefix("daytime/udp") && $0.contains("ok: ctime \"") })
        }
        // The log has the probe's own socket pair: the client side it printed is the one the server logged.
        let unix = try self.probe(["unix:\(socketPath)", "echo/tcp", "--size", "100000"])
        #expect(unix.status == 0, "\(unix.lines)")
        #expect(unix.lines.first?.hasSuffix("ok: 100000 bytes echoed") == true, "\(unix.lines)")
        #expect(unix.lines.first?.contains("-> \(socketPath)") == true)

        // AF_UNIX datagrams come back to the path the probe binds; whoami there needs no port.
        let unixDatagram = try self.probe(["unix:\(socketPath).dgram", "echo/udp"])
        #expect(
            unixDatagram.lines.first?.hasSuffix("ok: 512 bytes echoed") == true,
            "\(unixDatagram.lines) \(daemon.logText.suffix(600))"
        )
        let unixWhoami = try self.probe(["unix:\(socketPath).whoami", "whoami"])
        #expect(unixWhoami.status == 0, "\(unixWhoami.lines) \(unixWhoami.stderr)")

        // A UDP echo of the largest datagram, compared byte for byte.
        let large = try self.probe(["127.0.0.1", "echo/udp:\(ports[0])", "--size", "65507"])
        #expect(large.lines.first?.hasSuffix("ok: 65507 bytes echoed") == true, "\(large.lines)")
    }

    @Test func jsonCountAndTheSummary() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 1, host: "127.0.0.1") { p in
            "services:\n  - {service: echo, port: \(p[0])}\n"
        }
        defer { _ = daemon.stop() }
        let run = try self.probe(["--json", "--count", "3", "127.0.0.1", "echo/udp:\(ports[0])"])
        #expect(run.status == 0)
        #expect(run.lines.count == 4)
        let objects = try run.lines.map {
            try #require(try JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any])
        }
        for probe in objects.prefix(3) {
            #expect(probe["service"] as? String == "echo")
            #expect(probe["proto"] as? String == "udp")
            #expect(probe["verdict"] as? String == "ok")
            #expect(probe["remote"] as? String == "127.0.0.1:\(ports[0])")
            #expect((probe["local"] as? String)?.hasPrefix("127.0.0.1:") == true)
            #expect((probe["rtt_ms"] as? Double ?? -1) >= 0)
        }
        let summary = objects[3]
        #expect(summary["summary"] as? Bool == true)
        #expect(summary["probes"] as? Int == 3)
        #expect(summary["ok"] as? Int == 3)
        #expect(summary["loss_percent"] as? Double == 0)
        #expect((summary["rtt_min_ms"] as? Double ?? -1) <= (summary["rtt_max_ms"] as? Double ?? -2))
    }

    @Test func refusedSilentAndUnresolvableHosts() throws {
        let closed = try freePorts(1, host: "127.0.0.1")[0]
        let refused = try self.probe(["127.0.0.1", "echo:\(closed)"])
        #expect(refused.status == 1)
        #expect(refused.lines.first?.hasSuffix("refused: connection refused (RST)") == true, "\(refused.lines)")
        #expect(
            refused.lines.last?.hasSuffix("refused: ICMP port unreachable: nothing listens there") == true,
            "\(refused.lines)"
        )

        // Bound, never answering: over UDP that is filtered or lost, and the probe says so.
        let silent = try FakeServer(udp: { _ in nil })
        let timeout = try self.probe(["--timeout", "0.5", "127.0.0.1", "daytime/udp:\(silent.port)"])
        #expect(timeout.status == 1)
        #expect(timeout.lines.first?.contains("timeout: no answer within 0.5 s") == true, "\(timeout.lines)")

        let unknown = try self.probe(["no-such-host.invalid", "echo"])
        #expect(unknown.status == 68)
        #expect(unknown.stderr.contains("no-such-host.invalid"))
        #expect(try self.probe(["127.0.0.1", "gopher"]).status == 64)
        #expect(try self.probe(["-4", "-6", "127.0.0.1", "echo"]).status == 64)
    }

    @Test func wrongAnswersGetTheirVerdict() throws {
        let flipped = try FakeServer(tcp: { fd in
            var bytes = FakeServer.read(fd, count: 512)
            if bytes.count > 100 { bytes[100] ^= 0x20 }
            FakeServer.write(fd, bytes)
        })
        let skipping = try FakeServer(tcp: { fd in
            var stream: [UInt8] = []
            for line in 0..<10 {
                stream += (0..<72).map { UInt8(32 + (line + $0) % 95) } + [13, 10]
            }
            stream.remove(at: 200)
            FakeServer.write(fd, stream)
        })
        let garbled = try FakeServer(tcp: { fd in FakeServer.write(fd, Array("It is teatime\r\n".utf8)) })
        let hourOff = try FakeServer(udp: { _ in
            let value = UInt32(truncatingIfNeeded: Int64(Date().timeIntervalSince1970) + 2_208_988_800 - 3600)
            return [UInt8(value >> 24), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
        })
        let resetting = try FakeServer(tcp: { fd in FakeServer.reset(fd) })
        let stalling = try FakeServer(tcp: { fd in usleep(1_500_000) })
        // A flood: the probe reads what a daytime line can be and no more, and says what it got.
        let flooding = try FakeServer(tcp: { fd in
            FakeServer.write(fd, Array(repeating: UInt8(ascii: "x"), count: 1 << 20))
        })

        func verdict(_ arguments: [String]) throws -> String {
            let run = try self.probe(["--timeout", "1"] + arguments)
            #expect(run.status == 1, "\(run.lines)")
            return run.lines.first ?? ""
        }
        #expect(try verdict(["127.0.0.1", "echo/tcp:\(flipped.port)"]).contains("wrong: byte 100 differs: sent "))
        #expect(
            try verdict(["127.0.0.1", "chargen/tcp:\(skipping.port)"])
                .contains("wrong: byte 200 (line 3) breaks the RFC 864 ring")
        )
        #expect(
            try verdict(["127.0.0.1", "daytime/tcp:\(garbled.port)"])
                .hasSuffix("wrong: no known format parses \"It is teatime\\r\\n\"")
        )
        let time = try verdict(["127.0.0.1", "time/udp:\(hourOff.port)"])
        // The answer has whole seconds: the skew is an hour and up to a second.
        #expect(
            time.firstMatch(of: /wrong: \d+ \(skew -360[01]\.\d s\), more than 5\.0 s off the local clock$/) != nil,
            "\(time)"
        )
        #expect(
            try verdict(["127.0.0.1", "daytime/tcp:\(resetting.port)"]).hasSuffix("reset: the connection was reset")
        )
        #expect(try verdict(["127.0.0.1", "daytime/tcp:\(stalling.port)"]).contains("timeout: no answer within 1.0 s"))
        #expect(
            try verdict(["127.0.0.1", "daytime/tcp:\(flooding.port)"]).contains("wrong: not a line of text: \"xxxx")
        )
        #expect(
            try verdict(["127.0.0.1", "time/tcp:\(flooding.port)"]).hasSuffix("wrong: 8 bytes: RFC 868 sends exactly 4")
        )
    }
}

/// The shell completions `make install` ships come from the command-line definition: they know `probe`.
@Suite struct CompletionTests {
    @Test(arguments: ["bash", "zsh", "fish"])
    func completionsCoverProbe(shell: String) throws {
        let result = try runToCompletion(["--generate-completion-script", shell])
        #expect(result.status == 0)
        #expect(result.stdout.contains("probe"))
        #expect(result.stdout.contains("max-skew"))
        #expect(result.stdout.contains("timeout"))
    }

    @Test func theBashScriptParses() throws {
        let directory = try TemporaryDirectory()
        let script = try directory.write(
            "wellknownd.bash",
            try runToCompletion(["--generate-completion-script", "bash"]).stdout
        )
        let bash = try Subprocess("/bin/bash", ["-n", script])
        #expect(bash.waitForExit(timeout: .seconds(10)) == 0, "\(bash.stderr)")
    }
}
