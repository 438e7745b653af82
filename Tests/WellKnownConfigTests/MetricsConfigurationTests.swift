import Testing
import WellKnownConfig

/// `metrics:`, the Prometheus endpoint: off when absent, checked like every other section.
@Suite struct MetricsConfigurationTests {
    static let services = "services:\n  - {service: echo, port: 7007}\n"

    @Test func absentMeansOff() throws {
        #expect(try parse(Self.services).metrics == nil)
    }

    @Test func defaultsAreLoopbackAndSlashMetrics() throws {
        // The top-level bind does not move the endpoint off loopback: exposing it is its own decision.
        let metrics = try #require(try parse("bind: \"::\"\nmetrics: {port: 9113}\n" + Self.services).metrics)
        #expect(metrics.port == 9113)
        #expect(metrics.addresses == [.ipv4Loopback, .ipv6Loopback])
        #expect(metrics.path == "/metrics")
        #expect(metrics.maximumConnections == 16)
        #expect(metrics.perSourceConnections == 4)
        #expect(metrics.timeout == .seconds(10))
    }

    @Test func everyKeyIsRead() throws {
        let yaml = """
            metrics:
              port: 0
              bind: [10.0.0.1, "2001:db8::1"]
              path: /probe/metrics
              max-connections: 32
              per-source-connections: 2
              timeout: 2.5
            """
        let metrics = try #require(try parse(yaml + "\n" + Self.services).metrics)
        #expect(metrics.port == 0)
        #expect(metrics.addresses.map(\.text) == ["10.0.0.1", "2001:db8::1"])
        #expect(metrics.path == "/probe/metrics")
        #expect(metrics.maximumConnections == 32)
        #expect(metrics.perSourceConnections == 2)
        #expect(metrics.timeout == .milliseconds(2500))
    }

    @Test func thePortIsRequired() {
        #expect(
            errors("metrics:\n  path: /m\n" + Self.services) == [
                "test.yaml:2:3: metrics.port: missing: the endpoint's TCP port (0 for any free port)"
            ]
        )
    }

    @Test func badValuesArePositionedAtTheirKey() {
        #expect(
            errors("metrics:\n  port: 70000\n  path: metrics\n  colour: blue\n" + Self.services) == [
                "test.yaml:2:9: metrics.port: port 70000 is outside 0...65535",
                "test.yaml:3:9: metrics.path: 'metrics' is not an absolute path such as /metrics",
                "test.yaml:4:3: metrics.colour: unknown key 'colour' (known: port, bind, path, max-connections, "
                    + "per-source-connections, timeout)",
            ]
        )
        #expect(
            errors("metrics: {port: 9113, path: \"/a b\"}\n" + Self.services) == [
                "test.yaml:1:29: metrics.path: '/a b' has a character a request path cannot carry (space, ?, # or non-ASCII)"
            ]
        )
        #expect(
            errors("metrics: {port: 9113, max-connections: 2, per-source-connections: 3}\n" + Self.services) == [
                "test.yaml:1:67: metrics.per-source-connections: 3 is more than max-connections (2)"
            ]
        )
        #expect(
            errors("metrics: 9113\n" + Self.services) == [
                "test.yaml:1:10: metrics: expected a mapping of settings such as `port: 9113`"
            ]
        )
    }

    @Test func aPortTakenByATCPEntryOnTheSameAddressIsAnError() {
        #expect(
            errors("metrics:\n  port: 7007\n  bind: 127.0.0.1\n" + Self.services) == [
                "test.yaml:2:9: metrics.port: tcp 127.0.0.1:7007 overlaps echo/tcp 127.0.0.1:7007, services[0]"
            ]
        )
        // A wildcard endpoint overlaps every address of the port.
        #expect(errors("metrics: {port: 7007, bind: \"::\"}\n" + Self.services).count == 1)
    }

    @Test func aPortSharedOnlyWithUDPOrAnotherAddressIsFine() throws {
        let udp = "metrics: {port: 7007}\nservices:\n  - {service: echo, port: 7007, transport: udp}\n"
        #expect(try parse(udp).metrics?.port == 7007)
        let elsewhere = "metrics: {port: 7007, bind: 127.0.0.2}\n" + Self.services
        #expect(try parse(elsewhere).metrics?.port == 7007)
    }
}
