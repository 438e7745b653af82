import Logging
import NIOCore

/// The handlers of a UDP socket, named so that a reload can take them out again: the guard, the recorder, the
/// reply size cap, then the service.
enum DatagramPipeline {
    private static let prefix = "wellknownd."

    static func install(_ route: Route, on pipeline: ChannelPipeline.SynchronousOperations, logger: Logger) throws {
        if let guardState = route.datagramGuard {
            try pipeline.addHandler(
                DatagramGuardHandler(state: guardState, counters: route.counters, access: route.admission.access),
                name: Self.prefix + "guard"
            )
        }
        try pipeline.addHandler(
            DatagramRecorder(counters: route.counters, logger: logger),
            name: Self.prefix + "recorder"
        )
        if let guardState = route.datagramGuard {
            try pipeline.addHandler(ReplySizeCap(state: guardState), name: Self.prefix + "cap")
        }
        for (index, handler) in route.instance.makeDatagramHandlers().enumerated() {
            try pipeline.addHandler(handler, name: Self.prefix + "service.\(index)")
        }
    }

    /// The names of the handlers `install` added that are in `pipeline` now.
    static func names(in pipeline: ChannelPipeline.SynchronousOperations) -> [String] {
        var names = ["guard", "recorder", "cap"].map { Self.prefix + $0 }
        var index = 0
        while (try? pipeline.context(name: Self.prefix + "service.\(index)")) != nil {
            names.append(Self.prefix + "service.\(index)")
            index += 1
        }
        return names.filter { (try? pipeline.context(name: $0)) != nil }
    }
}
