import Logging
import NIOCore

/// The handlers of a UDP socket, in the order a datagram meets them: `DatagramGate` (the UDP guard, the counts and
/// the socket-pair record, the reply size cap), then the service's own handlers. A reload swaps the whole set
/// between two datagrams: the new set is added first, under names of a new generation, and only then is the old
/// one taken out, so that a failure leaves the old set serving.
enum DatagramPipeline {
    private static func name(_ role: String, generation: Int) -> String {
        "wellknownd.\(generation).\(role)"
    }

    static func install(
        _ route: Route,
        on pipeline: ChannelPipeline.SynchronousOperations,
        logger: Logger,
        generation: Int = 0
    ) throws {
        try pipeline.addHandler(
            DatagramGate(
                counters: route.counters,
                logger: logger,
                guard: route.datagramGuard,
                access: route.admission.access,
                wholeReplies: route.instance.wholeDatagramReplies
            ),
            name: Self.name("gate", generation: generation)
        )
        for (index, handler) in route.instance.makeDatagramHandlers().enumerated() {
            try pipeline.addHandler(handler, name: Self.name("service.\(index)", generation: generation))
        }
    }

    /// Serves `route` with handlers of `generation` instead of those of `replacing`, between two datagrams (this
    /// runs on the channel's event loop). If the new handlers cannot all be added, those that were are taken out
    /// again and the old ones keep serving.
    static func swap(
        to route: Route,
        on pipeline: ChannelPipeline.SynchronousOperations,
        logger: Logger,
        generation: Int,
        replacing old: Int
    ) throws {
        do {
            try Self.install(route, on: pipeline, logger: logger, generation: generation)
        } catch {
            Self.remove(generation: generation, from: pipeline)
            throw error
        }
        Self.remove(generation: old, from: pipeline)
    }

    /// The names of the handlers of `generation` that are in `pipeline` now.
    static func names(generation: Int, in pipeline: ChannelPipeline.SynchronousOperations) -> [String] {
        var names = [Self.name("gate", generation: generation)]
        var index = 0
        while (try? pipeline.context(name: Self.name("service.\(index)", generation: generation))) != nil {
            names.append(Self.name("service.\(index)", generation: generation))
            index += 1
        }
        return names.filter { (try? pipeline.context(name: $0)) != nil }
    }

    private static func remove(generation: Int, from pipeline: ChannelPipeline.SynchronousOperations) {
        for name in Self.names(generation: generation, in: pipeline) {
            _ = pipeline.removeHandler(name: name)
        }
    }
}
