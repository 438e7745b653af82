import Foundation
import Testing
import WellKnownConfig
import WellKnownDaemon
import WellKnownServices

/// The schema of the real service table, from the catalog itself: a new service or option needs no change here.
let schema = ServiceTable.schema

/// `echo, discard, chargen, daytime, time`: the names the unknown-service errors list.
let knownServices = ServiceCatalog.all.map(\.name).joined(separator: ", ")

func parse(_ yaml: String) throws(ConfigurationErrors) -> Configuration {
    try ConfigurationLoader(schema: schema).parse(yaml, source: "test.yaml")
}

/// The printed errors for a document that must fail.
func errors(_ yaml: String) -> [String] {
    do {
        let configuration = try parse(yaml)
        Issue.record("expected errors, got \(configuration)")
        return []
    } catch {
        return error.errors.map(\.description)
    }
}

@Suite struct GoodConfigurationTests {
    @Test func shippedConfigurationLoads() throws {
        let path = URL(fileURLWithPath: #filePath)
            .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("config/wellknownd.yaml").path
        let configuration = try ConfigurationLoader(schema: schema).load(path: path)
        let plan = configuration.listeners.map(\.description)
        #expect(plan.count == 32)
        #expect(
            plan.prefix(4) == [
                "daytime/tcp 127.0.0.1:6013", "daytime/tcp [::1]:6013", "daytime/udp 127.0.0.1:6013",
                "daytime/udp [::1]:6013",
            ]
        )
        // Every service of the catalog, on 6000 + its well-known port (whoami, which has none, on 6099).
        #expect(Set(configuration.services.map(\.service)) == Set(ServiceCatalog.all.map(\.name)))
        for entry in configuration.services {
            let wellKnown = ServiceCatalog.descriptor(named: entry.service)?.wellKnownPort
            #expect(entry.port == wellKnown.map { 6000 + $0 } ?? 6099, "\(entry.service)")
        }
        #expect(configuration.gracePeriod == .seconds(5))
    }

    @Test func defaultsAreBothTransportsOnLoopbackAndFiveSecondsGrace() throws {
        let configuration = try parse("services:\n  - service: echo\n    port: 7007\n")
        let entry = try #require(configuration.services.first)
        #expect(entry.transports == [.tcp, .udp])
        #expect(entry.addresses.map(\.text) == ["127.0.0.1", "::1"])
        #expect(configuration.gracePeriod == .seconds(5))
    }

    @Test func entriesOverrideTheTopLevelBindAndKeepTheirOptions() throws {
        let configuration = try parse(
            """
            grace-period: 2.5
            bind: 127.0.0.2
            services:
              - {service: daytime, port: 13, transport: udp, format: rfc3339, zone: Europe/Paris}
              - service: chargen
                port: 19
                transport: tcp
                bind: ["[::]"]
              - service: time
                port: 37
            """
        )
        #expect(configuration.gracePeriod == .milliseconds(2500))
        let plan = configuration.listeners.map(\.description)
        #expect(
            plan == [
                "daytime/udp 127.0.0.2:13", "chargen/tcp [::]:19", "time/tcp 127.0.0.2:37", "time/udp 127.0.0.2:37",
            ]
        )
        #expect(configuration.services[0].options["format"]?.value == .text("rfc3339"))
        #expect(configuration.services[0].options["zone"]?.value == .text("Europe/Paris"))
        #expect(configuration.services[0].options["zone"]?.location.description == "test.yaml:4:73")
    }

    @Test func addressesAreCanonicalised() throws {
        let configuration = try parse(
            "services:\n  - {service: echo, port: 7, bind: [\"0:0:0:0:0:0:0:1\", \"2001:DB8:0::7\"]}\n"
        )
        #expect(configuration.services[0].addresses.map(\.text) == ["::1", "2001:db8::7"])
    }
}

@Suite struct BadConfigurationTests {
    @Test func yamlSyntaxErrorIsPositioned() {
        #expect(
            errors("services:\n  - service: echo\n    port: [7\n") == [
                "test.yaml:4:1: syntax: invalid YAML: did not find expected ',' or ']' while parsing a flow sequence at line 3, column 11"
            ]
        )
    }

    @Test func unknownKeyIsNotIgnoredAndGetsASuggestion() {
        #expect(
            errors("services:\n  - service: echo\n    prot: 7\n") == [
                "test.yaml:2:5: services[0]: missing key 'port' (or 'path' for an AF_UNIX socket)",
                "test.yaml:3:5: services[0].prot: unknown key 'prot' for service echo (did you mean 'port'?) (known: service, port, path, transport, bind, allow, deny, idle-timeout, max-lifetime, max-bytes-out, max-bytes-in, max-connections)",
            ]
        )
    }

    @Test func unknownTopLevelKey() {
        #expect(
            errors("servics:\n  - {service: echo, port: 7}\n").first
                == "test.yaml:1:1: servics: unknown key 'servics' (did you mean 'services'?) (known: services, bind, allow, deny, grace-period, limits, udp-guard, metrics, user, group)"
        )
    }

    @Test func unknownServiceSuggestsTheNearestName() {
        #expect(
            errors("services:\n  - service: daytme\n    port: 13\n") == [
                "test.yaml:2:14: services[0].service: unknown service 'daytme' (did you mean 'daytime'?) (known: \(knownServices))"
            ]
        )
    }

    @Test(arguments: [
        ("65536", "test.yaml:1:34: services[0].port: port 65536 is outside 0...65535"),
        ("-7", "test.yaml:1:34: services[0].port: port -7 is outside 0...65535"),
        (
            "\"7\"",
            "test.yaml:1:34: services[0].port: expected a port number 0...65535 (0: any free port), found the string \"7\""
        ),
        (
            "seven",
            "test.yaml:1:34: services[0].port: expected a port number 0...65535 (0: any free port), found 'seven'"
        ),
        ("[7]", "test.yaml:1:34: services[0].port: expected a port number 0...65535 (0: any free port), found a list"),
        ("7.5", "test.yaml:1:34: services[0].port: expected a port number 0...65535 (0: any free port), found '7.5'"),
    ])
    func portMustBeAnIntegerInRange(value: String, expected: String) {
        #expect(errors("services: [{service: echo, port: \(value)}]\n") == [expected])
    }

    @Test func aTCPOnlyServiceGetsTCPByDefaultAndRefusesUDP() throws {
        let configuration = try parse("services: [{service: tcpmux, port: 6001}]\n")
        #expect(configuration.services.first?.transports == [.tcp])
        #expect(
            errors("services: [{service: tcpmux, port: 6001, transport: both}]\n") == [
                "test.yaml:1:53: services[0].transport: tcpmux is served over tcp only, not udp"
            ]
        )
    }

    @Test func portZeroAsksForAnyFreePortAndNeverOverlaps() throws {
        let configuration = try parse(
            "bind: 127.0.0.1\nservices:\n  - {service: echo, port: 0}\n  - {service: discard, port: 0}\n"
        )
        #expect(configuration.services.map(\.port) == [0, 0])
        #expect(configuration.listeners.count == 4, "two entries on one address, each with a port of its own")
    }

    @Test func wrongTypesAreNamed() {
        #expect(
            errors("services:\n  - service: [echo]\n    port: 7\n    transport: sctp\n  - 42\n") == [
                "test.yaml:2:14: services[0].service: expected a single value, found a list",
                "test.yaml:4:16: services[0].transport: 'sctp' is not one of tcp, udp, both",
                "test.yaml:5:5: services[1]: expected a mapping such as `{service: echo, port: 6007}`",
            ]
        )
        #expect(
            errors("services: echo\n") == ["test.yaml:1:11: services: expected a list of entries (`- service: echo`)"]
        )
        #expect(
            errors("grace-period: soon\nservices: [{service: echo, port: 7}]\n") == [
                "test.yaml:1:15: grace-period: expected a number of seconds such as 5 or 2.5, found 'soon'"
            ]
        )
    }

    @Test func optionValuesAreChecked() {
        #expect(
            errors(
                "services:\n  - {service: daytime, port: 13, format: iso}\n  - {service: echo, port: 7, format: ctime}\n"
            ) == [
                "test.yaml:2:42: services[0].format: 'iso' is not one of ctime, rfc3339, rfc2822, date",
                "test.yaml:3:30: services[1].format: unknown key 'format' for service echo (known: service, port, path, transport, bind, allow, deny, idle-timeout, max-lifetime, max-bytes-out, max-bytes-in, max-connections)",
            ]
        )
    }

    @Test func badAddressesAreNamedOneByOne() {
        #expect(
            errors("bind: [localhost]\nservices:\n  - {service: echo, port: 7, bind: [\"::1\", 300.1.1.1]}\n") == [
                "test.yaml:1:8: bind[0]: 'localhost' is not a numeric IPv4 or IPv6 address (host names are not resolved; \"::\" means all)",
                "test.yaml:3:44: services[0].bind[1]: '300.1.1.1' is not a numeric IPv4 or IPv6 address (host names are not resolved; \"::\" means all)",
            ]
        )
    }

    @Test func twoEntriesClaimingOneSocketAreRejected() {
        #expect(
            errors(
                """
                services:
                  - {service: echo, port: 7}
                  - {service: discard, port: 7, transport: udp}
                  - {service: daytime, port: 7, transport: tcp, bind: 127.0.0.1}
                """
            ) == [
                "test.yaml:3:30: services[1].port: udp 127.0.0.1:7 overlaps udp 127.0.0.1:7, already claimed by services[0] (line 2)",
                "test.yaml:3:30: services[1].port: udp [::1]:7 overlaps udp [::1]:7, already claimed by services[0] (line 2)",
                "test.yaml:4:30: services[2].port: tcp 127.0.0.1:7 overlaps tcp 127.0.0.1:7, already claimed by services[0] (line 2)",
            ]
        )
    }

    @Test func wildcardsOverlapTheAddressesTheyCover() {
        #expect(
            errors(
                "services:\n  - {service: echo, port: 7, bind: 127.0.0.1}\n  - {service: time, port: 7, bind: \"::\"}\n"
            ) == [
                "test.yaml:3:27: services[1].port: tcp [::]:7 overlaps tcp 127.0.0.1:7, already claimed by services[0] (line 2)",
                "test.yaml:3:27: services[1].port: udp [::]:7 overlaps udp 127.0.0.1:7, already claimed by services[0] (line 2)",
            ]
        )
        #expect(errors("services:\n  - {service: echo, port: 7, bind: [0.0.0.0, 127.0.0.1]}\n").count == 2)
        // Different transports, or IPv4 and IPv6 loopback, do not collide.
        #expect(
            (try? parse(
                "services:\n  - {service: echo, port: 7, transport: tcp}\n  - {service: time, port: 7, transport: udp}\n"
            )) != nil
        )
        #expect(
            (try? parse(
                "services:\n  - {service: echo, port: 7, bind: 0.0.0.0}\n  - {service: time, port: 7, bind: \"::1\"}\n"
            )) != nil
        )
    }

    @Test func emptyListMissingListAndEmptyFile() {
        #expect(errors("services: []\n") == ["test.yaml:1:11: services: the list is empty: nothing would be served"])
        #expect(errors("bind: 127.0.0.1\n") == ["test.yaml:1:1: services: missing: the list of services to serve"])
        #expect(errors("") == ["test.yaml:1:1: the file is empty: it needs a `services:` list"])
        #expect(errors("# only a comment\n") == ["test.yaml:1:1: the file is empty: it needs a `services:` list"])
    }

    /// Yams reports the duplicate at its first occurrence.
    @Test func duplicateKeysAreASyntaxError() {
        let found = errors("services:\n  - service: echo\n    port: 7\n    port: 8\n")
        #expect(found.count == 1)
        #expect(found.first?.hasPrefix("test.yaml:3:5: syntax: invalid YAML: duplicate key 'port'") == true)
    }

    @Test func everyProblemIsReportedAtOnce() {
        let found = errors(
            """
            grace-period: -1
            services:
              - {service: echo, port: 70000}
              - {service: chargn, port: 19}
              - {service: chargen, port: 19, udp-mode: fast}
              - {service: time}
            """
        )
        #expect(
            found == [
                "test.yaml:1:15: grace-period: -1 is outside 0...3600 seconds",
                "test.yaml:3:27: services[0].port: port 70000 is outside 0...65535",
                "test.yaml:4:15: services[1].service: unknown service 'chargn' (did you mean 'chargen'?) (known: \(knownServices))",
                "test.yaml:5:44: services[2].udp-mode: 'fast' is not one of rfc, bsd",
                "test.yaml:6:5: services[3]: missing key 'port' (or 'path' for an AF_UNIX socket)",
            ]
        )
    }

    @Test func unixSocketEntries() throws {
        let configuration = try parse(
            "services:\n  - {service: echo, path: /run/wk/echo.sock}\n  - {service: daytime, path: /run/wk/day.dgram, transport: udp}\n"
        )
        #expect(
            configuration.listeners.map(\.description) == [
                "echo/tcp /run/wk/echo.sock", "daytime/udp /run/wk/day.dgram",
            ]
        )
        #expect(configuration.services[0].port == nil)
        let long = "/" + String(repeating: "x", count: 107)
        #expect(
            errors(
                """
                services:
                  - {service: echo, path: relative.sock}
                  - {service: echo, path: /run/a.sock, port: 7}
                  - {service: echo, path: /run/b.sock, transport: both}
                  - {service: echo, path: /run/c.sock, bind: 127.0.0.1}
                  - {service: time, path: \(long)}
                  - {service: time, path: /run/d.sock}
                  - {service: discard, path: /run/d.sock, transport: udp}
                """
            ) == [
                "test.yaml:2:27: services[0].path: 'relative.sock' is not an absolute path",
                "test.yaml:3:21: services[1].path: an entry has a port or a path, not both",
                "test.yaml:4:51: services[2].transport: a path takes one transport: tcp (stream) or udp (datagram)",
                "test.yaml:5:40: services[3].bind: an AF_UNIX entry (path) has no addresses to bind",
                "test.yaml:6:27: services[4].path: the path is longer than the 107 bytes an AF_UNIX address holds",
                "test.yaml:8:30: services[6].path: udp /run/d.sock overlaps tcp /run/d.sock, already claimed by services[5] (line 7)",
            ]
        )
    }

    @Test func udpGuardSettings() throws {
        let defaults = try parse("services: [{service: echo, port: 7}]\n").udpGuard
        #expect(defaults == UDPGuardConfiguration())
        #expect(defaults.deniedSourcePorts == [7, 9, 13, 17, 19, 37, 53, 123, 161, 1900, 11211])
        let custom = try parse(
            """
            udp-guard:
              deny-source-ports: [19, 53]
              per-source-rate: 2.5
              per-source-burst: 5
              total-rate: 100
              total-burst: 200
              reply-factor: 2
              reply-floor: 32
              drop-log-interval: 1.5
            services: [{service: echo, port: 7}]
            """
        ).udpGuard
        #expect(
            custom
                == UDPGuardConfiguration(
                    deniedSourcePorts: [19, 53],
                    perSourceRate: 2.5,
                    perSourceBurst: 5,
                    totalRate: 100,
                    totalBurst: 200,
                    replyFactor: 2,
                    replyFloor: 32,
                    dropLogInterval: .milliseconds(1500)
                )
        )
        #expect(
            errors(
                "udp-guard: {per-source-rate: 0, per-source-burst: 1.5, reply-flor: 3, deny-source-ports: [19, 0]}\nservices: [{service: echo, port: 7}]\n"
            ) == [
                "test.yaml:1:30: udp-guard.per-source-rate: 0 is outside 0.001...1000000 per second",
                "test.yaml:1:51: udp-guard.per-source-burst: expected a whole number, found '1.5'",
                "test.yaml:1:56: udp-guard.reply-flor: unknown key 'reply-flor' (did you mean 'reply-floor'?) (known: deny-source-ports, per-source-rate, per-source-burst, total-rate, total-burst, reply-factor, reply-floor, drop-log-interval)",
                "test.yaml:1:95: udp-guard.deny-source-ports[1]: port 0 is outside 1...65535",
            ]
        )
    }

    @Test func unreadableFileIsReported() throws {
        #expect(throws: ConfigurationErrors.self) {
            try ConfigurationLoader(schema: schema).load(path: "/nonexistent/wellknownd.yaml")
        }
        do {
            _ = try ConfigurationLoader(schema: schema).load(path: "/nonexistent/wellknownd.yaml")
        } catch {
            #expect(
                error.errors.first?.description.hasPrefix("/nonexistent/wellknownd.yaml: cannot read the configuration")
                    == true
            )
        }
    }
}
