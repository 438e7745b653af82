import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// One HTTP/1.1 request on a fresh connection; the daemon answers and closes.
func httpRequest(host: String, port: Int, method: String = "GET", path: String = "/metrics") throws -> (
    status: Int, body: String
) {
    let socket = try TestSocket(host: host, port: port, type: Int32(SOCK_STREAM.rawValue))
    try socket.send(Array("\(method) \(path) HTTP/1.1\r\nHost: test\r\n\r\n".utf8))
    let text = String(decoding: socket.receive().bytes, as: UTF8.self)
    let status = text.split(separator: " ", maxSplits: 2).dropFirst().first.flatMap { Int($0) } ?? 0
    let body = text.range(of: "\r\n\r\n").map { String(text[$0.upperBound...]) } ?? ""
    return (status, body)
}

/// The value of a series (`name{labels}` exactly as exposed) in a scrape.
func series(_ scrape: String, _ name: String) -> Double? {
    for line in scrape.split(separator: "\n") where line.hasPrefix(name + " ") {
        return Double(line.dropFirst(name.count + 1))
    }
    return nil
}

/// The metrics port in a `started` or `configuration reloaded` line's `metrics` field.
func metricsPort(_ field: String?) -> Int? {
    guard let field, let match = field.firstMatch(of: /http:\/\/[^ ]*:(\d+)\//) else { return nil }
    return Int(match.output.1)
}

let promtool = "/usr/bin/promtool"

/// The endpoint of the real binary: every figure agrees with the traffic the test drives and with the log.
@Suite struct MetricsTests {
    static let tcp = Int32(SOCK_STREAM.rawValue)
    static let udp = Int32(SOCK_DGRAM.rawValue)

    @Test func countsAgreeWithTheTrafficAndTheLogAndPromtoolAcceptsTheScrape() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 3, host: "127.0.0.1") { p in
            """
            bind: 127.0.0.1
            metrics: {port: 0, bind: 127.0.0.1}
            services:
              - {service: echo, port: \(p[0])}
              - {service: daytime, port: \(p[1]), transport: tcp}
              - {service: discard, port: \(p[2]), transport: tcp, deny: [127.0.0.0/8]}
            """
        }
        defer { _ = daemon.stop() }
        let started = try #require(daemon.waitForRecord(["msg": "started"]))
        let port = try #require(metricsPort(started["metrics"]), "\(started)")
        #expect(started["metrics"] == "http://127.0.0.1:\(port)/metrics")

        let (connections, datagrams, daytimes, refused) = (5, 7, 3, 2)
        for index in 0..<connections {
            let echo = try TestSocket(host: "127.0.0.1", port: ports[0], type: Self.tcp)
            let message = Array("message \(index)".utf8)
            try echo.send(message)
            #expect(echo.receive(limit: message.count).bytes == message)
            echo.shutdownWrite()
            #expect(echo.receive().eof)
        }
        for _ in 0..<daytimes {
            #expect(try TestSocket(host: "127.0.0.1", port: ports[1], type: Self.tcp).receive().bytes.count > 0)
        }
        let client = try TestSocket(host: "127.0.0.1", port: ports[0], type: Self.udp)
        for _ in 0..<datagrams {
            try client.sendDatagram(Array("ping".utf8))
            #expect(client.receiveDatagram() == Array("ping".utf8))
        }
        for _ in 0..<refused {
            // Accepted by the kernel, closed by the daemon before a byte.
            let denied = try TestSocket(host: "127.0.0.1", port: ports[2], type: Self.tcp)
            #expect(denied.receive().bytes.isEmpty)
        }
        // Every connection's record is written when it ends; wait for the last ones.
        let deadline = ContinuousClock.now.advanced(by: .seconds(10))
        var records: [[String: String]] = []
        var datagramRecords: [[String: String]] = []
        repeat {
            let lines = daemon.logLines.map(parseLogfmt)
            records = lines.filter { $0["msg"] == "connection" }
            datagramRecords = lines.filter { $0["msg"] == "datagram" }
            if records.count >= connections + daytimes && datagramRecords.count >= datagrams { break }
            usleep(20_000)
        } while ContinuousClock.now < deadline

        let (status, scrape) = try httpRequest(host: "127.0.0.1", port: port)
        #expect(status == 200)
        func value(_ name: String) -> Double? { series(scrape, name) }
        #expect(value("wellknownd_connections_total{service=\"echo\",proto=\"tcp\"}") == Double(connections))
        #expect(value("wellknownd_connections_total{service=\"daytime\",proto=\"tcp\"}") == Double(daytimes))
        #expect(value("wellknownd_connections_total{service=\"discard\",proto=\"tcp\"}") == 0)
        #expect(value("wellknownd_connections_open{service=\"echo\"}") == 0)
        #expect(value("wellknownd_connections_ended_total{service=\"echo\",end=\"client\"}") == Double(connections))
        #expect(value("wellknownd_connections_ended_total{service=\"daytime\",end=\"server\"}") == Double(daytimes))
        #expect(
            value("wellknownd_connections_refused_total{service=\"discard\",reason=\"access-denied\"}")
                == Double(refused)
        )
        #expect(value("wellknownd_datagrams_received_total{service=\"echo\"}") == Double(datagrams))
        #expect(value("wellknownd_datagrams_replied_total{service=\"echo\"}") == Double(datagrams))
        #expect(value("wellknownd_datagrams_dropped_total{service=\"echo\",reason=\"source-rate\"}") == 0)
        #expect(value("wellknownd_received_bytes_total{service=\"echo\",proto=\"udp\"}") == Double(4 * datagrams))
        #expect(value("wellknownd_connection_duration_seconds_count{service=\"echo\"}") == Double(connections))
        #expect(value("wellknownd_listeners{service=\"echo\",proto=\"udp\"}") == 1)
        #expect(value("wellknownd_listeners{service=\"discard\",proto=\"tcp\"}") == 1)
        #expect(value("wellknownd_reloads_total{result=\"applied\"}") == 0)
        #expect(value("wellknownd_build_info{version=\"0.1.0\"}") == 1)
        #expect((value("process_open_fds") ?? 0) > 10)
        #expect((value("process_resident_memory_bytes") ?? 0) > 1_000_000)

        // The same figures as the log's records.
        let echoRecords = records.filter { $0["service"] == "echo" }
        #expect(echoRecords.count == connections)
        let bytesIn = echoRecords.compactMap { $0["bytes_in"].flatMap(Int.init) }.reduce(0, +)
        let bytesOut = echoRecords.compactMap { $0["bytes_out"].flatMap(Int.init) }.reduce(0, +)
        #expect(value("wellknownd_received_bytes_total{service=\"echo\",proto=\"tcp\"}") == Double(bytesIn))
        #expect(value("wellknownd_sent_bytes_total{service=\"echo\",proto=\"tcp\"}") == Double(bytesOut))
        let daytimeOut = records.filter { $0["service"] == "daytime" }.compactMap { $0["bytes_out"].flatMap(Int.init) }
        #expect(
            value("wellknownd_sent_bytes_total{service=\"daytime\",proto=\"tcp\"}") == Double(daytimeOut.reduce(0, +))
        )
        #expect(datagramRecords.count == datagrams)
        // Scrapes are counted, not logged one by one.
        #expect(!daemon.logText.contains("GET /metrics"))
        #expect(
            try httpRequest(host: "127.0.0.1", port: port).body.contains(
                "wellknownd_metrics_requests_total{code=\"200\"} 1\n"
            )
        )

        if FileManager.default.isExecutableFile(atPath: promtool) {
            let file = try directory.write("scrape.txt", scrape)
            let check = try Subprocess("/bin/sh", ["-c", "\(promtool) check metrics < \(file)"])
            #expect(check.waitForExit(timeout: .seconds(30)) == 0, "promtool: \(check.stderr)\(check.stdout)")
        }
    }

    @Test func checkNamesTheEndpoint() throws {
        let directory = try TemporaryDirectory()
        let config = try directory.write(
            "wellknownd.yaml",
            "metrics: {port: 9113, path: /m}\nservices:\n  - {service: echo, port: 7007, transport: tcp}\n"
        )
        let result = try runToCompletion(["check", "--config", config])
        #expect(result.status == 0)
        #expect(result.stdout.hasSuffix("metrics: http://127.0.0.1:9113/m, http://[::1]:9113/m\n"), "\(result.stdout)")
        // echo over TCP on 127.0.0.1 and ::1: the endpoint is not counted as a service's listener.
        #expect(result.stdout.hasPrefix("\(config): OK, 2 listeners\n"), "\(result.stdout)")
    }

    @Test func otherPathsMethodsAndLimits() throws {
        let directory = try TemporaryDirectory()
        let (daemon, _) = try startDaemon(in: directory, portCount: 1, host: "127.0.0.1") { p in
            """
            bind: 127.0.0.1
            metrics: {port: 0, path: /probe, max-connections: 4, per-source-connections: 2, timeout: 1}
            services:
              - {service: echo, port: \(p[0]), transport: tcp}
            """
        }
        defer { _ = daemon.stop() }
        let port = try #require(metricsPort(daemon.waitForRecord(["msg": "started"])?["metrics"]))
        #expect(try httpRequest(host: "127.0.0.1", port: port, path: "/metrics").status == 404)
        #expect(try httpRequest(host: "::1", port: port, path: "/probe").status == 200, "both loopbacks by default")
        #expect(try httpRequest(host: "127.0.0.1", port: port, method: "DELETE", path: "/probe").status == 405)
        let head = try httpRequest(host: "127.0.0.1", port: port, method: "HEAD", path: "/probe")
        #expect(head.status == 200)
        #expect(head.body.isEmpty)

        // Two stalled connections from one source take its places: a third is closed at once, while another
        // source (::1 is a source of its own) still gets its scrape.
        let stalled = try (0..<2).map { _ in try TestSocket(host: "127.0.0.1", port: port, type: Self.tcp) }
        try stalled[0].send(Array("GET /pro".utf8))
        usleep(200_000)
        let third = try TestSocket(host: "127.0.0.1", port: port, type: Self.tcp)
        #expect(third.receive().bytes.isEmpty)
        #expect(try httpRequest(host: "::1", port: port, path: "/probe").status == 200)
        // The timeout (1 s) ends the stalled ones, with a 408; their places are free again.
        let timedOut = String(decoding: stalled[0].receive().bytes, as: UTF8.self)
        #expect(timedOut.hasPrefix("HTTP/1.1 408 Request Timeout\r\n"))
        #expect(stalled[1].receive().eof)
        let scrape = try httpRequest(host: "127.0.0.1", port: port, path: "/probe").body
        #expect(series(scrape, "wellknownd_metrics_requests_total{code=\"refused\"}") == 1)
        #expect(series(scrape, "wellknownd_metrics_requests_total{code=\"408\"}") == 2)
        #expect(series(scrape, "wellknownd_metrics_requests_total{code=\"404\"}") == 1)
        #expect(series(scrape, "wellknownd_metrics_requests_total{code=\"405\"}") == 1)
    }

    @Test func reloadAddsMovesAndRemovesTheEndpointAndABadReloadKeepsIt() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 1, host: "127.0.0.1") { p in
            "bind: 127.0.0.1\nservices:\n  - {service: echo, port: \(p[0]), transport: tcp}\n"
        }
        defer { _ = daemon.stop() }
        let services = "services:\n  - {service: echo, port: \(ports[0]), transport: tcp}\n"
        func reload(_ yaml: String, expecting message: String) throws -> [String: String] {
            let before = daemon.logLines.count
            _ = try directory.write("wellknownd.yaml", yaml)
            daemon.signal(SIGHUP)
            let deadline = ContinuousClock.now.advanced(by: .seconds(10))
            repeat {
                if let line = daemon.logLines.dropFirst(before).map(parseLogfmt).first(where: { $0["msg"] == message })
                {
                    return line
                }
                usleep(20_000)
            } while ContinuousClock.now < deadline
            throw TestFailure("no \(message) line: \(daemon.logText)")
        }

        // Added.
        let added = try reload(
            "bind: 127.0.0.1\nmetrics: {port: 0, bind: 127.0.0.1}\n" + services,
            expecting: "configuration reloaded"
        )
        let first = try #require(metricsPort(added["metrics"]))
        var scrape = try httpRequest(host: "127.0.0.1", port: first).body
        #expect(series(scrape, "wellknownd_reloads_total{result=\"applied\"}") == 1)

        // A bad configuration changes nothing, and is counted.
        let rejected = try reload(
            "metrics: {port: 0, colour: blue}\n" + services,
            expecting: "reload failed: still serving the configuration in force"
        )
        #expect(rejected["problems"] == "1")
        scrape = try httpRequest(host: "127.0.0.1", port: first).body
        #expect(series(scrape, "wellknownd_reloads_total{result=\"rejected\"}") == 1)

        // A new path on the same socket; then moved to ::1 (new socket, old one closed).
        _ = try reload(
            "bind: 127.0.0.1\nmetrics: {port: 0, bind: 127.0.0.1, path: /m}\n" + services,
            expecting: "configuration reloaded"
        )
        #expect(try httpRequest(host: "127.0.0.1", port: first, path: "/m").status == 200)
        let moved = try reload(
            "bind: 127.0.0.1\nmetrics: {port: 0, bind: \"::1\"}\n" + services,
            expecting: "configuration reloaded"
        )
        let second = try #require(metricsPort(moved["metrics"]))
        #expect(moved["metrics"] == "http://[::1]:\(second)/metrics")
        scrape = try httpRequest(host: "::1", port: second).body
        #expect(series(scrape, "wellknownd_reloads_total{result=\"applied\"}") == 3)
        #expect(throws: TestFailure.self) { try TestSocket(host: "127.0.0.1", port: first, type: Self.tcp) }

        // Removed: nothing listens there any more.
        let removed = try reload("bind: 127.0.0.1\n" + services, expecting: "configuration reloaded")
        #expect(removed["metrics"] == "off")
        #expect(throws: TestFailure.self) { try TestSocket(host: "::1", port: second, type: Self.tcp) }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: socketActivate), "needs systemd-socket-activate"))
    func underSocketActivationTheSocketNamedMetricsIsTheEndpoint() throws {
        let directory = try TemporaryDirectory()
        let ports = try freePorts(2, host: "127.0.0.1")
        let config = try directory.write(
            "wellknownd.yaml",
            """
            bind: 127.0.0.1
            metrics: {port: 9}
            services:
              - {service: echo, port: \(ports[1]), transport: tcp}
            """
        )
        let activator = try DaemonProcess.launch(
            socketActivate,
            ["-l", "127.0.0.1:\(ports[0])", "--fdname=metrics", daemonBinary, "run", "--config", config]
        )
        defer { _ = activator.stop() }
        // The first scrape wakes the daemon, which answers it on the inherited socket (port 9 is not bound).
        let socket = try connectWhenListening(port: ports[0])
        try socket.send(Array("GET /metrics HTTP/1.1\r\n\r\n".utf8))
        let text = String(decoding: socket.receive().bytes, as: UTF8.self)
        #expect(text.hasPrefix("HTTP/1.1 200 OK\r\n"), "\(activator.logText)")
        #expect(text.contains("wellknownd_listeners{service=\"echo\",proto=\"tcp\"} 1"))
        let started = try #require(activator.waitForRecord(["msg": "started"]))
        #expect(started["metrics"] == "http://127.0.0.1:\(ports[0])/metrics")
        #expect(listenBacklog(port: ports[0]) == 4096, "systemd's backlog survives NIO's adoption")
        // A reload cannot drop the inherited endpoint: refused, and it still answers.
        _ = try directory.write(
            "wellknownd.yaml",
            "bind: 127.0.0.1\nservices:\n  - {service: echo, port: \(ports[1]), transport: tcp}\n"
        )
        activator.signal(SIGHUP)
        #expect(activator.waitForRecord(["msg": "reload failed: still serving the configuration in force"]) != nil)
        #expect(try httpRequest(host: "127.0.0.1", port: ports[0]).status == 200)
    }
}
