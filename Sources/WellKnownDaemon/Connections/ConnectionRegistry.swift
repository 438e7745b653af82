import NIOConcurrencyHelpers
import NIOCore

/// The open TCP connections, so that shutdown can wait for them and then close those still running.
final class ConnectionRegistry: Sendable {
    private let channels = NIOLockedValueBox<[ObjectIdentifier: any Channel]>([:])

    func add(_ channel: any Channel) {
        let id = ObjectIdentifier(channel)
        self.channels.withLockedValue { $0[id] = channel }
        channel.closeFuture.whenComplete { _ in
            self.channels.withLockedValue { _ = $0.removeValue(forKey: id) }
        }
    }

    var count: Int {
        self.channels.withLockedValue { $0.count }
    }

    /// Waits until every connection has ended or `gracePeriod` has passed, then closes the rest (their log lines
    /// say `end=shutdown`) and waits briefly for them to go. Cancelled, it returns without closing anything.
    func drain(gracePeriod: Duration) async {
        await self.waitUntilEmpty(for: gracePeriod)
        guard !Task.isCancelled else { return }
        let remaining = self.channels.withLockedValue { Array($0.values) }
        for channel in remaining {
            channel.triggerUserOutboundEvent(CloseRequest(reason: .shutdown), promise: nil)
        }
        await self.waitUntilEmpty(for: .seconds(2))
    }

    private func waitUntilEmpty(for duration: Duration) async {
        let deadline = ContinuousClock.now.advanced(by: duration)
        while self.count > 0, ContinuousClock.now < deadline, !Task.isCancelled {
            try? await Task.sleep(for: .milliseconds(20))
        }
    }
}
