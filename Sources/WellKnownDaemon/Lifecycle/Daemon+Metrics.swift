import Logging
import WellKnownConfig

extension Daemon {
    /// The exposition, as the endpoint serves it: every counter row, and the sockets listening now.
    var renderMetrics: @Sendable () -> [UInt8] {
        { [self] in
            let listeners = (self.current?.listeners ?? []).map { listener in
                let route = listener.current
                return (service: route.service, proto: route.counters.proto)
            }
            return self.metrics.exposition(rows: self.counters.all, listeners: listeners)
        }
    }

    /// Opens the endpoint a configuration asks for, paused: on the socket systemd passed as `metrics`, or bound.
    func openMetrics(_ configuration: MetricsConfiguration?, plan: ActivationPlan) async throws -> MetricsEndpoint? {
        guard let configuration else { return nil }
        if let socket = plan.metrics {
            return try await MetricsEndpoint.adopt(
                socket,
                configuration: configuration,
                group: self.group,
                metrics: self.metrics,
                render: self.renderMetrics,
                logger: self.logger
            )
        }
        return try await MetricsEndpoint.bind(
            configuration,
            group: self.group,
            metrics: self.metrics,
            render: self.renderMetrics,
            logger: self.logger
        )
    }

    /// What a reload does to the endpoint, worked out before the reload commits.
    struct MetricsChange {
        /// The endpoint once committed.
        var endpoint: MetricsEndpoint?
        /// Newly opened (paused): resumed at commit.
        var opened: MetricsEndpoint?
        /// The old endpoint, to close at commit (already closed if it had to free its address).
        var retired: MetricsEndpoint?
        var retiredEarly = false
    }

    /// Opens what a reload's `metrics:` needs. A changed address or port gets new sockets while the old ones still
    /// serve; only if the old ones hold what the new ones need are they closed first, and then, should the new
    /// ones fail, opened again. Returns why it failed, having changed nothing.
    func prepareMetrics(
        current: MetricsEndpoint?,
        wanted: MetricsConfiguration?,
        plan: ActivationPlan
    ) async -> Result<MetricsChange, MetricsEndpointError> {
        guard let wanted else {
            return .success(MetricsChange(endpoint: nil, retired: current))
        }
        if let current, current.canServe(wanted) {
            return .success(MetricsChange(endpoint: current))
        }
        do {
            let opened = try await self.openMetrics(wanted, plan: plan)
            return .success(MetricsChange(endpoint: opened, opened: opened, retired: current))
        } catch let firstError {
            guard let current else { return .failure(Self.metricsError(firstError)) }
            await current.close()
            do {
                let opened = try await self.openMetrics(wanted, plan: plan)
                return .success(MetricsChange(endpoint: opened, opened: opened, retired: current, retiredEarly: true))
            } catch {
                if await self.reopenMetrics(current) == nil {
                    self.logger.critical(
                        "reload: the metrics endpoint could not listen again",
                        metadata: ["metrics": "\(current.urls.joined(separator: ", "))"]
                    )
                }
                return .failure(Self.metricsError(error))
            }
        }
    }

    /// Listens again where a closed endpoint listened (its picked port for `port: 0`), serving again.
    private func reopenMetrics(_ old: MetricsEndpoint) async -> MetricsEndpoint? {
        var configuration = old.configuration
        configuration.port = old.boundPort ?? configuration.port
        guard
            let endpoint = try? await MetricsEndpoint.bind(
                configuration,
                group: self.group,
                metrics: self.metrics,
                render: self.renderMetrics,
                logger: self.logger
            )
        else { return nil }
        try? await endpoint.resume()
        self.serving.withLockedValue { $0?.metrics = endpoint }
        return endpoint
    }

    /// Makes `change` the endpoint in force: the new sockets serve, the old ones close.
    func commitMetrics(_ change: MetricsChange, configuration: MetricsConfiguration?) async {
        if let opened = change.opened {
            do {
                try await opened.resume()
            } catch {
                self.logger.error(
                    "reload: the metrics endpoint could not start serving",
                    metadata: ["error": "\(error)"]
                )
            }
        } else if let kept = change.endpoint, let configuration {
            kept.update(configuration)
        }
        if !change.retiredEarly {
            await change.retired?.close()
        }
    }

    private static func metricsError(_ error: any Error) -> MetricsEndpointError {
        error as? MetricsEndpointError ?? MetricsEndpointError("metrics: \(error)")
    }
}
