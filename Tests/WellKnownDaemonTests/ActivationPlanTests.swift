import Foundation
import Testing
import WellKnownConfig

@testable import WellKnownDaemon
@testable import WellKnownLogging

#if canImport(Glibc)
import Glibc
#endif

func configuration(_ yaml: String) throws -> Configuration {
    try ConfigurationLoader(schema: ServiceTable.schema).parse(yaml, source: "activation.yaml")
}

@Suite struct ActivationPlanTests {
    @Test func namesThenPortsDecideAndTheRestIsBoundByTheDaemon() throws {
        let zoo = try SocketZoo()
        let tcp = try zoo.inet(Int32(SOCK_STREAM.rawValue))
        let udp = try zoo.inet(Int32(SOCK_DGRAM.rawValue))
        let echoStream = try zoo.unix(Int32(SOCK_STREAM.rawValue), name: "echo.sock")
        let config = try configuration(
            """
            services:
              - {service: daytime, port: 6013}
              - {service: time, port: \(udp.port)}
              - {service: echo, port: 6007, transport: tcp}
            """
        )
        let plan = try ActivationPlan(
            sockets: [
                SocketActivation.inspect(fd: udp.fd, name: "wellknownd.socket"),  // by port: time/udp
                SocketActivation.inspect(fd: tcp.fd, name: "daytime"),  // by name, whatever its port
                SocketActivation.inspect(fd: echoStream, name: "echo"),  // AF_UNIX, by name
            ],
            configuration: config
        )
        #expect(
            plan.adopted.map { "\($0.service)/\($0.transport.rawValue)" } == ["time/udp", "daytime/tcp", "echo/tcp"]
        )
        // daytime/udp and time/tcp had no inherited socket; echo/tcp had one, so its own binds are skipped.
        #expect(
            plan.toBind.map(\.description) == [
                "daytime/udp 127.0.0.1:6013", "daytime/udp [::1]:6013",
                "time/tcp 127.0.0.1:\(udp.port)", "time/tcp [::1]:\(udp.port)",
            ]
        )
    }

    @Test func aNamedSocketPrefersTheEntryOnItsPort() throws {
        let zoo = try SocketZoo()
        let tcp = try zoo.inet(Int32(SOCK_STREAM.rawValue))
        let config = try configuration(
            "services:\n  - {service: echo, port: 7}\n  - {service: echo, port: \(tcp.port)}\n"
        )
        let plan = try ActivationPlan(
            sockets: [SocketActivation.inspect(fd: tcp.fd, name: "echo")],
            configuration: config
        )
        #expect(plan.adopted.first?.entryIndex == 1)
    }

    @Test func samePortOnTwoAddressesIsDecidedByAddress() throws {
        let zoo = try SocketZoo()
        let tcp = try zoo.inet(Int32(SOCK_STREAM.rawValue))
        let config = try configuration(
            "services:\n  - {service: echo, port: \(tcp.port), bind: \"::1\"}\n  - {service: time, port: \(tcp.port), bind: 127.0.0.1}\n"
        )
        let plan = try ActivationPlan(
            sockets: [SocketActivation.inspect(fd: tcp.fd, name: "unknown")],
            configuration: config
        )
        #expect(plan.adopted.first?.service == "time")
    }

    @Test func unservableSocketsAreErrorsThatNameThem() throws {
        let zoo = try SocketZoo()
        let tcp = try zoo.inet(Int32(SOCK_STREAM.rawValue))
        let udp = try zoo.inet(Int32(SOCK_DGRAM.rawValue))
        let unixStream = try zoo.unix(Int32(SOCK_STREAM.rawValue), name: "u.sock")
        let connected = zoo.connectedStream()
        let fifo = zoo.pipeEnd()
        let config = try configuration("services:\n  - {service: daytime, port: 6013, transport: tcp}\n")
        let sockets = [
            SocketActivation.inspect(fd: tcp.fd, name: "x"),
            SocketActivation.inspect(fd: udp.fd, name: "daytime"),
            SocketActivation.inspect(fd: unixStream, name: "wellknownd.socket"),
            SocketActivation.inspect(fd: connected, name: "daytime"),
            SocketActivation.inspect(fd: fifo, name: "daytime"),
        ]
        do {
            _ = try ActivationPlan(sockets: sockets, configuration: config)
            Issue.record("expected an activation error")
        } catch {
            let lines = error.description.split(separator: "\n").map(String.init)
            #expect(
                lines == [
                    "fd \(tcp.fd) (name \"x\", TCP listener on 127.0.0.1:\(tcp.port)) maps to no service: no entry serves tcp port \(tcp.port), and \"x\" is not a configured service name",
                    "fd \(udp.fd) (name \"daytime\", UDP socket on 127.0.0.1:\(udp.port)) is named after daytime, which the configuration does not serve over udp",
                    "\(sockets[2]) maps to no service: an AF_UNIX socket must be named after its service (FileDescriptorName=)",
                    "fd \(connected) (name \"daytime\", connected stream (Accept=yes) on unnamed) cannot be served: wellknownd takes listening sockets only",
                    "fd \(fifo) (name \"daytime\", FIFO on ?) cannot be served: wellknownd takes listening sockets only",
                ]
            )
        }
    }

    @Test func aSocketNamedMetricsIsTheMetricsEndpoint() throws {
        let zoo = try SocketZoo()
        let tcp = try zoo.inet(Int32(SOCK_STREAM.rawValue))
        let daytime = try zoo.inet(Int32(SOCK_STREAM.rawValue))
        let config = try configuration(
            "metrics: {port: 9113}\nservices:\n  - {service: daytime, port: \(daytime.port), transport: tcp}\n"
        )
        let metrics = SocketActivation.inspect(fd: tcp.fd, name: "metrics")
        let plan = try ActivationPlan(
            sockets: [metrics, SocketActivation.inspect(fd: daytime.fd, name: "wellknownd.socket")],
            configuration: config
        )
        #expect(plan.metrics == metrics)
        #expect(plan.adopted.map(\.service) == ["daytime"])
        #expect(plan.toBind.isEmpty)
    }

    @Test func aSocketNamedMetricsWithoutAMetricsSectionIsAnError() throws {
        let zoo = try SocketZoo()
        let tcp = try zoo.inet(Int32(SOCK_STREAM.rawValue))
        let udp = try zoo.inet(Int32(SOCK_DGRAM.rawValue))
        let without = try configuration("services:\n  - {service: daytime, port: 6013, transport: tcp}\n")
        let metrics = SocketActivation.inspect(fd: tcp.fd, name: "metrics")
        #expect(throws: ActivationError.self) { try ActivationPlan(sockets: [metrics], configuration: without) }
        do {
            _ = try ActivationPlan(sockets: [metrics], configuration: without)
        } catch {
            #expect(error.description == "\(metrics) is named metrics, but the configuration has no `metrics:` section")
        }
        let with = try configuration(
            "metrics: {port: 9113}\nservices:\n  - {service: daytime, port: 6013, transport: tcp}\n"
        )
        let datagram = SocketActivation.inspect(fd: udp.fd, name: "metrics")
        do {
            _ = try ActivationPlan(sockets: [datagram], configuration: with)
            Issue.record("a UDP socket cannot be the endpoint")
        } catch {
            #expect(error.description.hasSuffix("is named metrics, but the metrics endpoint takes a stream listener"))
        }
    }
}
