import Foundation

/// How results are printed: one line per probe, for people, or one JSON object per line, for scripts; with
/// `--count`, a summary per target after its probes.
public struct ProbeReport: Sendable {
    public let json: Bool

    public init(json: Bool) {
        self.json = json
    }

    /// `echo/tcp  127.0.0.1:40112 -> 127.0.0.1:7  0.21 ms  ok: 512 bytes echoed`
    public func line(_ result: ProbeResult) -> String {
        if self.json {
            var object: [String: Any] = [
                "service": result.target.service, "proto": result.target.transport.rawValue,
                "local": result.local, "remote": result.remote, "verdict": result.verdict.name,
                "detail": result.verdict.detail,
            ]
            object["rtt_ms"] = result.milliseconds.map { ($0 * 1000).rounded() / 1000 } ?? NSNull()
            return Self.encode(object)
        }
        let rtt = result.milliseconds.map { Self.format($0) + " ms" } ?? "-"
        return "\(result.target.service)/\(result.target.transport.rawValue)  \(result.local) -> \(result.remote)  "
            + "\(rtt)  \(result.verdict.name): \(result.verdict.detail)"
    }

    /// After `count` probes of one target: how many were ok, how many got no answer, and the round trips.
    public func summary(_ results: [ProbeResult]) -> String {
        guard let first = results.first else { return "" }
        let ok = results.filter { $0.verdict.isOK }.count
        let lost = results.filter { if case .timeout = $0.verdict { return true } else { return false } }.count
        let loss = Double(lost) / Double(results.count) * 100
        let times = results.compactMap(\.milliseconds).sorted()
        let median =
            times.isEmpty
            ? nil
            : times.count % 2 == 1
                ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        if self.json {
            var object: [String: Any] = [
                "summary": true, "service": first.target.service, "proto": first.target.transport.rawValue,
                "remote": first.remote, "probes": results.count, "ok": ok, "lost": lost,
                "loss_percent": (loss * 10).rounded() / 10,
            ]
            object["rtt_min_ms"] = times.first ?? NSNull()
            object["rtt_median_ms"] = median ?? NSNull()
            object["rtt_max_ms"] = times.last ?? NSNull()
            return Self.encode(object)
        }
        let rtt =
            times.isEmpty
            ? "no round trips"
            : "rtt min/median/max \(Self.format(times[0]))/\(Self.format(median ?? 0))/\(Self.format(times[times.count - 1])) ms"
        return "\(first.target.service)/\(first.target.transport.rawValue) \(first.remote): \(results.count) probes, "
            + "\(ok) ok, \(lost) without answer (\(Self.format(loss, digits: 1)) % loss); \(rtt)"
    }

    static func format(_ value: Double, digits: Int = 3) -> String {
        String(format: "%.\(digits)f", value)
    }

    private static func encode(_ object: [String: Any]) -> String {
        guard let data = try? JSONSerialization.data(withJSONObject: object, options: [.sortedKeys]) else {
            return "{}"
        }
        return String(decoding: data, as: UTF8.self)
    }
}
