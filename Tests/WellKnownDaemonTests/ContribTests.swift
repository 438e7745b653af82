import Foundation
import Testing

@testable import WellKnownDaemon

/// What `contrib/` ships for the metrics endpoint must fit what the daemon exports.
@Suite struct ContribTests {
    static let root = URL(fileURLWithPath: #filePath)
        .deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    @Test func theDashboardQueriesOnlyMetricsTheDaemonExports() throws {
        let data = try Data(contentsOf: Self.root.appendingPathComponent("contrib/grafana/wellknownd.json"))
        let dashboard = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        let panels = try #require(dashboard["panels"] as? [[String: Any]])
        let expressions = panels.flatMap { panel in
            (panel["targets"] as? [[String: Any]] ?? []).compactMap { $0["expr"] as? String }
        }
        #expect(expressions.count >= 10)
        let exported = Set(MetricName.all.map(\.name))
        var used: Set<String> = []
        for expression in expressions {
            for match in expression.matches(of: /wellknownd_[a-z_]+/) {
                var name = String(match.output)
                for suffix in ["_bucket", "_sum", "_count"] where !exported.contains(name) && name.hasSuffix(suffix) {
                    name = String(name.dropLast(suffix.count))
                }
                used.insert(name)
                #expect(exported.contains(name), "the dashboard queries \(match.output), which is not exported")
            }
        }
        // Each family the issue asks the dashboard for is on it.
        for family in [
            MetricName.connections, .connectionsOpen, .connectionsRefused, .datagramsDropped, .receivedBytes,
            .sentBytes, .reloads,
        ] {
            #expect(used.contains(family.name), "the dashboard has no panel for \(family.name)")
        }
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/promtool"), "needs promtool"))
    func theScrapeConfigurationIsValid() throws {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/promtool")
        process.arguments = [
            "check", "config", Self.root.appendingPathComponent("contrib/prometheus/wellknownd.yml").path,
        ]
        let output = Pipe()
        process.standardOutput = output
        process.standardError = output
        try process.run()
        process.waitUntilExit()
        let text = String(decoding: output.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        #expect(process.terminationStatus == 0, "\(text)")
    }
}
