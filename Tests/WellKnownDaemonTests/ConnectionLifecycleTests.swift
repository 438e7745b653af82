import Foundation
import Logging
import NIOConcurrencyHelpers
import NIOCore
import NIOEmbedded
import NIOPosix
import Testing
import WellKnownConfig
import WellKnownServices

@testable import WellKnownDaemon
@testable import WellKnownLogging

#if canImport(Glibc)
import Glibc
#endif

@Suite struct ConnectionLifecycleTests {
    /// A real channel whose initializer fails after admission is closed before it is ever active: no
    /// `channelInactive`, only `handlerRemoved`, must give the place back.
    @Test func aConnectionWhoseInitializerFailsGivesItsPlaceBack() throws {
        struct Broken: Error {}
        let group = MultiThreadedEventLoopGroup(numberOfThreads: 1)
        defer { try? group.syncShutdownGracefully() }
        let gate = ConnectionGate(limits: ConnectionLimits())
        let logs = CapturedLogs()
        let counters = ServiceCounters(service: "echo", transport: .tcp)
        let admissions = NIOLockedValueBox(0)
        let lifecycle = ConnectionLifecycle(
            service: "echo",
            admission: EntryAdmission(key: "test"),
            counters: counters,
            gate: gate,
            records: RecordLog(logs.logger())
        )
        let server = try ServerBootstrap(group: group)
            .childChannelInitializer { channel in
                channel.eventLoop.makeCompletedFuture {
                    guard let admitted = lifecycle.admit(client: channel.remoteAddress, server: channel.localAddress)
                    else { return }
                    admissions.withLockedValue { $0 += 1 }
                    try channel.pipeline.syncOperations.addHandler(ConnectionRecorder(admitted))
                    throw Broken()
                }
            }
            .bind(host: "127.0.0.1", port: 0).wait()
        defer { try? server.close().wait() }
        let client = try ClientBootstrap(group: group).connect(to: try #require(server.localAddress)).wait()
        try client.closeFuture.wait()
        let deadline = NIODeadline.now() + .seconds(5)
        while gate.openConnections > 0, NIODeadline.now() < deadline {
            usleep(10_000)
        }
        #expect(admissions.withLockedValue { $0 } == 1)
        #expect(gate.openConnections == 0)
        #expect(counters.open.load(ordering: .relaxed) == 0)
    }
}
