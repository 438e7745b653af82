import Logging
import NIOCore
import NIOPosix
import ServiceLifecycle
import UnixSignals
import WellKnownConfig
import WellKnownServices

/// The daemon as a `Service`: binds every listener, serves until graceful shutdown, then stops accepting, lets open
/// connections finish for the grace period, closes the rest, and logs a summary.
final class Daemon: Service {
    private let prepared: PreparedConfiguration
    private let group: any EventLoopGroup
    private let logger: Logger
    private let registry = ConnectionRegistry()
    private let counters: CounterTable

    init(prepared: PreparedConfiguration, group: any EventLoopGroup, logger: Logger) {
        self.prepared = prepared
        self.group = group
        self.logger = logger
        self.counters = CounterTable(listeners: prepared.listeners)
    }

    func run() async throws {
        let started = ContinuousClock.now
        let factory = ListenerFactory(
            group: self.group,
            registry: self.registry,
            counters: self.counters,
            logger: self.logger
        )
        var channels: [any Channel] = []
        do {
            for listener in self.prepared.listeners {
                guard let instance = self.prepared.instance(for: listener) else { continue }
                channels.append(try await factory.bind(listener, instance: instance))
            }
        } catch {
            for channel in channels {
                try? await channel.close()
            }
            throw error
        }
        self.logger.info(
            "started",
            metadata: [
                "version": "\(WellKnownd.version)",
                "config": "\(self.prepared.configuration.source)",
                "listeners": "\(self.prepared.listeners.map(\.description).joined(separator: ", "))",
            ]
        )

        await withTaskGroup(of: Void.self) { tasks in
            tasks.addTask { await self.handleSignals() }
            try? await gracefulShutdown()
            tasks.cancelAll()
        }

        let grace = self.prepared.configuration.gracePeriod
        self.logger.info(
            "shutting down",
            metadata: ["connections_open": "\(self.registry.count)", "grace_period": "\(grace.components.seconds)"]
        )
        for channel in channels {
            try? await channel.close()
        }
        await self.registry.drain(gracePeriod: grace)

        var summary = self.counters.summary
        summary["uptime"] = .stringConvertible(LogSeconds(TimeAmount(started.duration(to: .now))))
        self.logger.info("stopped", metadata: summary)
    }

    /// SIGUSR1 logs the counters. SIGHUP is caught so that it cannot kill the daemon; reloading comes later and
    /// until then the signal only says that nothing changed.
    private func handleSignals() async {
        for await signal in await UnixSignalsSequence(trapping: .sigusr1, .sighup) {
            if signal == .sigusr1 {
                self.logger.info("counters", metadata: self.counters.summary)
            } else {
                self.logger.warning(
                    "SIGHUP ignored: reloading the configuration is not supported yet; restart to apply changes"
                )
            }
        }
    }
}

extension TimeAmount {
    init(_ duration: Duration) {
        let (seconds, attoseconds) = duration.components
        self = .nanoseconds(seconds * 1_000_000_000 + attoseconds / 1_000_000_000)
    }
}
