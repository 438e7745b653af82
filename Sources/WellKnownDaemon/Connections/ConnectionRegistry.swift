import NIOConcurrencyHelpers
import NIOCore
import WellKnownLogging

/// The open TCP connections served through a channel, with the entry that admitted each and its client: shutdown
/// waits for them and then closes those still running; a reload closes those its access lists no longer admit.
final class ConnectionRegistry: Sendable {
    private struct Entry: Sendable {
        let channel: any Channel
        let service: String
        let entryKey: String
        let client: SocketAddress?
    }

    /// A connection a reload closed.
    struct Revoked: Sendable {
        let service: String
        let client: SocketAddress
    }

    private let channels = NIOLockedValueBox<[ObjectIdentifier: Entry]>([:])

    func add(_ channel: any Channel, service: String, admission: EntryAdmission, client: SocketAddress?) {
        let id = ObjectIdentifier(channel)
        let entry = Entry(channel: channel, service: service, entryKey: admission.key, client: client)
        self.channels.withLockedValue { $0[id] = entry }
        channel.closeFuture.whenComplete { _ in
            self.channels.withLockedValue { _ = $0.removeValue(forKey: id) }
        }
    }

    var count: Int {
        self.channels.withLockedValue { $0.count }
    }

    /// Closes (`end=revoked`) every connection from an IP client for which `denied(entryKey, client)` holds, and
    /// returns them. AF_UNIX clients are local and never revoked.
    func revoke(where denied: (String, SocketAddress) -> Bool) -> [Revoked] {
        let entries = self.channels.withLockedValue { Array($0.values) }
        var revoked: [Revoked] = []
        for entry in entries {
            guard let client = entry.client, !client.isUnix, denied(entry.entryKey, client) else { continue }
            entry.channel.triggerUserOutboundEvent(CloseRequest(reason: .revoked), promise: nil)
            revoked.append(Revoked(service: entry.service, client: client))
        }
        return revoked
    }

    /// Waits until every connection has ended or `gracePeriod` has passed, then closes the rest (their log lines
    /// say `end=shutdown`) and waits briefly for them to go. Cancelled, it returns without closing anything.
    func drain(gracePeriod: Duration) async {
        await self.waitUntilEmpty(for: gracePeriod)
        guard !Task.isCancelled else { return }
        let remaining = self.channels.withLockedValue { $0.values.map(\.channel) }
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
