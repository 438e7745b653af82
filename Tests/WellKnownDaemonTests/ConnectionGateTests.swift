import Logging
import NIOCore
import NIOEmbedded
import Testing
import WellKnownConfig
import WellKnownServices

@testable import WellKnownDaemon

@Suite struct ConnectionGateTests {
    let any = EntryAdmission(key: "any")
    let limited = EntryAdmission(key: "limited", limit: 2)

    @Test func theNPlusFirstConnectionFromOneSourceIsRefusedAtALimitOfN() throws {
        let gate = ConnectionGate(limits: ConnectionLimits(perSourceConnections: 3))
        let source = try address("198.51.100.7", 40000)
        #expect((0..<3).map { _ in gate.admit(any, source: source) } == [nil, nil, nil])
        #expect(gate.admit(any, source: try address("198.51.100.7", 40001)) == .sourceConnections)
        #expect(gate.admit(any, source: try address("198.51.100.8", 40000)) == nil, "another source")
        gate.release(any, source: source)
        #expect(gate.admit(any, source: source) == nil, "a closed connection frees its place")
        #expect(gate.refusals.total.load(ordering: .relaxed) == 0, "the gate answers; the caller records")
    }

    @Test func totalAndEntryLimits() throws {
        let gate = ConnectionGate(limits: ConnectionLimits(connections: 4))
        #expect(gate.admit(limited, source: try address("10.0.0.1", 1)) == nil)
        #expect(gate.admit(limited, source: try address("10.0.0.2", 1)) == nil)
        #expect(gate.admit(limited, source: try address("10.0.0.3", 1)) == .serviceConnections)
        #expect(gate.admit(any, source: try address("10.0.0.4", 1)) == nil)
        #expect(gate.admit(any, source: try address("10.0.0.5", 1)) == nil)
        #expect(gate.admit(any, source: try address("10.0.0.6", 1)) == .connections)
        #expect(gate.openConnections == 4)
    }

    @Test func newLimitsApplyToConnectionsAlreadyOpenAndKeepTheirCountsPerEntryKey() throws {
        let gate = ConnectionGate(limits: ConnectionLimits(perSourceConnections: 10))
        let source = try address("192.0.2.1", 1)
        #expect((0..<3).map { _ in gate.admit(limited, source: source) } == [nil, nil, .serviceConnections])
        gate.update(limits: ConnectionLimits(perSourceConnections: 2))
        #expect(gate.admit(any, source: source) == .sourceConnections, "the two open ones fill the new limit")
        let reloaded = EntryAdmission(key: "limited", limit: 3)
        gate.release(limited, source: source)
        #expect(gate.admit(reloaded, source: source) == nil, "the entry kept its count under the same key")
        #expect(gate.admit(reloaded, source: try address("192.0.2.2", 1)) == nil)
        #expect(gate.admit(reloaded, source: try address("192.0.2.3", 1)) == .serviceConnections, "3 of 3 open")
    }

    @Test func whatTheGateCountsGoesWithTheConnectionsAndIdleEntriesGoAtAReload() throws {
        let gate = ConnectionGate(limits: ConnectionLimits(perSourceConnections: 2))
        let sources = try (1...100).map { try address("10.1.0.\($0)", 1) }
        for source in sources {
            #expect(gate.admit(any, source: source) == nil)
        }
        #expect(gate.admit(limited, source: sources[0]) == nil)
        #expect(gate.admit(limited, source: sources[1]) == nil)
        #expect(gate.countedPlaces == (sources: 100, entries: 2, entriesKept: 2))
        for source in sources {
            gate.release(any, source: source)
        }
        gate.release(limited, source: sources[0])
        gate.release(limited, source: sources[1])
        #expect(gate.openConnections == 0)
        #expect(gate.countedPlaces == (sources: 0, entries: 0, entriesKept: 2), "an entry's zero stays until a reload")
        let again = sources[2...4].map { gate.admit(limited, source: $0) }
        #expect(again == [nil, nil, .serviceConnections], "a count kept at zero counts from zero again")
        gate.release(limited, source: sources[2])
        gate.release(limited, source: sources[3])
        gate.update(limits: ConnectionLimits(perSourceConnections: 2))
        #expect(gate.countedPlaces == (sources: 0, entries: 0, entriesKept: 0))
    }

    @Test func theAcceptBucketCatchesABurstAfterQuietTraffic() throws {
        // xinetd's cps averages over its window, so a burst after quiet traffic passes; a token bucket does not.
        let clock = ManualClock()
        let gate = ConnectionGate(
            limits: ConnectionLimits(perSourceConnections: 1000, perSourceAcceptRate: 5, perSourceAcceptBurst: 10)
        ) { clock.now }
        let source = try address("198.51.100.7", 40000)
        clock.advance(.seconds(60))
        let burst = (0..<70).map { _ in gate.admit(any, source: source) }
        #expect(burst.filter { $0 == nil }.count == 10)
        #expect(burst.last == .sourceRate)
        clock.advance(.seconds(1))
        #expect((0..<10).filter { _ in gate.admit(any, source: source) == nil }.count == 5)
    }

    @Test func beyondAFullBucketTableNewSourcesShareOneBucket() throws {
        let gate = ConnectionGate(
            limits: ConnectionLimits(perSourceAcceptRate: 0.001, perSourceAcceptBurst: 2),
            maximumSources: 1
        )
        #expect(gate.admit(any, source: try address("10.0.0.1", 1)) == nil)
        let admitted = try (0..<20).filter { n in gate.admit(any, source: try address("10.1.0.\(n + 1)", 1)) == nil
        }
        #expect(admitted.count == 2)
    }

    @Test func ipv6SourcesAreCountedByTheirSlash64AndLocalSocketsOnlyByTheTotals() throws {
        let gate = ConnectionGate(limits: ConnectionLimits(perSourceConnections: 1))
        #expect(gate.admit(any, source: try address("2001:db8:1:2::1", 1)) == nil)
        #expect(gate.admit(any, source: try address("2001:db8:1:2::2", 1)) == .sourceConnections)
        let local = try SocketAddress(unixDomainSocketPath: "/run/x.sock")
        #expect(gate.admit(any, source: local) == nil)
        #expect(gate.admit(any, source: local) == nil)
    }
}
