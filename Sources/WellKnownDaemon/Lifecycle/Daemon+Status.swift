import Logging
import NIOCore
import UnixSignals
import WellKnownLogging

extension Daemon {
    /// The counters, with refusals and drops by reason since the start.
    var summary: Logger.Metadata {
        var summary = self.counters.summary
        summary["connections_refused_by_reason"] = "\(self.connectionGate.refusals.totalsByReason)"
        summary["datagrams_dropped_by_reason"] = "\(self.drops.totalsByReason)"
        return summary
    }

    /// One line for `systemctl status`.
    func statusLine() -> String {
        let summary = self.counters.summary
        func value(_ key: String) -> String { summary[key].map { "\($0)" } ?? "0" }
        let listeners = self.current?.listeners ?? []
        return
            "\(listeners.count) listeners (\(Self.ports(of: listeners))); \(value("connections_open")) connections open; "
            + "\(value("connections")) connections, \(value("datagrams")) datagrams served; "
            + "\(value("connections_refused")) connections refused, \(value("datagrams_dropped")) datagrams dropped"
    }

    /// `daytime 6013 tcp+udp, echo 41234 tcp`: which service listens on which port (the real one, for `port: 0`
    /// entries), or socket path, in port order.
    static func ports(of listeners: [RunningListener]) -> String {
        var transports: [String: Set<String>] = [:]
        var order: [(String, Int)] = []
        for listener in listeners {
            let route = listener.current
            let place: String
            let rank: Int
            if let port = listener.boundPort {
                place = "\(route.service) \(port)"
                rank = port
            } else {
                place = "\(route.service) \(listener.localAddress?.logDescription ?? "?")"
                rank = 65536
            }
            if transports[place] == nil { order.append((place, rank)) }
            transports[place, default: []].insert(route.transport.rawValue)
        }
        return order.sorted { $0.1 < $1.1 }.map { place, _ in
            "\(place) \(transports[place, default: []].sorted().joined(separator: "+"))"
        }.joined(separator: ", ")
    }

    func refreshStatus() async {
        guard self.notifier.isEnabled else { return }
        while (try? await Task.sleep(for: Self.statusInterval)) != nil {
            self.notifier.status(self.statusLine())
        }
    }

    /// One warning per reason and period, with the first example, for what a tally counted: dropped datagrams and
    /// refused connections are never logged one line each.
    func summarise<Reason: RawRepresentable<String>>(
        _ tally: ReasonTally<Reason>,
        every interval: @Sendable () -> Duration,
        as message: Logger.Message,
        exampleKey: String
    ) async {
        var period = interval()
        while (try? await Task.sleep(for: period)) != nil {
            for entry in tally.take() {
                self.logger.warning(
                    message,
                    metadata: [
                        "reason": "\(entry.reason.rawValue)",
                        "count": .stringConvertible(entry.count),
                        exampleKey: "\(entry.example)",
                        "period": .stringConvertible(LogSeconds(TimeAmount(period))),
                    ]
                )
            }
            period = interval()
        }
    }

    func keepWatchdogFed(every interval: Duration) async {
        self.notifier.watchdog()
        while (try? await Task.sleep(for: interval)) != nil {
            self.notifier.watchdog()
        }
    }

    /// SIGUSR1 logs the counters; SIGHUP reloads the configuration.
    func handleSignals() async {
        for await signal in await UnixSignalsSequence(trapping: .sigusr1, .sighup) {
            if signal == .sigusr1 {
                self.logger.info("counters", metadata: self.summary)
            } else {
                await self.reload()
            }
        }
    }

}
