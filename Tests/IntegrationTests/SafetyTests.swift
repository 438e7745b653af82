import Foundation
import Testing

#if canImport(Glibc)
import Glibc
#endif

/// The limits and bounds on the real binary.
@Suite struct SafetyTests {
    @Test func theNPlusFirstConnectionFromOneSourceIsRefusedAndIdleOnesAreClosed() throws {
        let directory = try TemporaryDirectory()
        let (daemon, ports) = try startDaemon(in: directory, portCount: 2, host: "127.0.0.1") { p in
            """
            bind: 127.0.0.1
            limits: {per-source-connections: 2, refusal-log-interval: 0.3}
            services:
              - {service: echo, port: \(p[0]), transport: tcp, idle-timeout: 0.5}
              - {service: daytime, port: \(p[1]), transport: tcp}
            """
        }
        let first = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_STREAM.rawValue))
        let second = try TestSocket(host: "127.0.0.1", port: ports[0], type: Int32(SOCK_STREAM.rawValue))
        try first.send([1])
        #expect(first.receive(limit: 1).bytes == [1])

        // A third connection from the same address, to any service, is closed before any byte is sent.
        let third = try TestSocket(host: "127.0.0.1", port: ports[1], type: Int32(SOCK_STREAM.rawValue))
        let (refused, eof) = third.receive()
        #expect(refused.isEmpty, "daytime sent nothing to a refused connection")
        #expect(eof)
        let summary = try #require(
            daemon.waitForRecord(["msg": "refused connections", "reason": "source-connections"])
        )
        #expect(summary["count"] == "1")
        #expect(summary["first"] == "daytime \(third.localEndpoint) -> 127.0.0.1:\(ports[1])")

        // The idle ones are closed after half a second without a byte, and say why.
        #expect(second.receive().eof)
        let idle = try #require(
            daemon.waitForRecord(["msg": "connection", "client": second.localEndpoint.description])
        )
        #expect(idle["end"] == "timeout")
        #expect(first.receive().eof)

        // With the places free again, the same source is served.
        let fourth = try TestSocket(host: "127.0.0.1", port: ports[1], type: Int32(SOCK_STREAM.rawValue))
        #expect(fourth.receive().bytes.count == 26)
        #expect(daemon.stop() == 0)
        #expect(daemon.waitForRecord(["msg": "stopped", "connections_refused": "1"]) != nil)
    }
}
