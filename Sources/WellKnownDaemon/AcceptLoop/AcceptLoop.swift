import Logging
import NIOCore
import WellKnownLogging

#if canImport(Glibc)
import Glibc
#endif

/// One thread that accepts and answers the connections of one-shot services (daytime, time): wait for any of its
/// listening sockets to be readable, accept what waits, and give each connection its `OneShotAnswer` (one send(2),
/// close(2), the record) on the spot. The daemon runs one per core, beside its event loops.
///
/// Why not NIO's accept: NIO makes every accepted socket a `SocketChannel` (its pipeline, both addresses through
/// inet_ntop, a close that runs through the pipeline and a task on the loop, and about two hundred retains and
/// releases), which cost most of a daytime connection's instructions although such a connection never reads, never
/// waits and never gets a handler (`bench/callgrind --case daytime`; figures in bench/HISTORY.md). The listening
/// socket stays NIO's channel, paused (`autoRead` off), so binding, socket activation, a reload's reroute and the
/// close are the same as for every other listener; `RunningListener` hands the socket to this loop and takes it
/// back.
///
/// The socket list changes only on the loop's thread, between two waits (`LoopMailbox`), and `remove` returns once
/// the loop has let go of the socket, so that NIO can accept on it again or close it.
final class AcceptLoop: @unchecked Sendable {  // unchecked: the mutable state below is the loop thread's alone
    private enum Command {
        case add(OneShotListener, @Sendable () -> Void)
        case remove(Int32, @Sendable () -> Void)
    }

    /// Connections accepted from one socket per wake-up at most, so that a flood on one port cannot starve the
    /// loop's others.
    static let acceptsPerWake = 64
    /// When accept(2) fails for want of resources (`AcceptBackoff.shortages`), the socket is left alone this long:
    /// a level-triggered poll would otherwise report it readable, and accept fail, at once and forever.
    static let backoff: TimeAmount = AcceptBackoff.backoff

    let name: String
    private let logger: Logger
    private let mailbox: LoopMailbox<Command>

    // The loop thread's own.
    private var listeners: [Served] = []
    private var polled: [pollfd] = []

    private struct Served {
        let listener: OneShotListener
        /// The listener's records, formatted here and handed to the sink once per wake-up, as a `DatagramLoop` does
        /// its datagrams': queued one by one, each cost a boxed line, a lock, and a copy and a release on the writer
        /// thread, a measurable part of a daytime connection (bench/PROFILES.md).
        let records: RecordBatch
        /// Not polled before this (after a shortage of descriptors or memory).
        var pausedUntil: NIODeadline?
        var failures = 0
        var lastReport: NIODeadline?
    }

    init(name: String, logger: Logger) {
        self.name = name
        self.logger = logger
        // Without an eventfd `add` fails, and NIO accepts for the listener instead.
        self.mailbox = LoopMailbox(name: name)
    }

    /// Starts accepting on `listener`'s socket: returns once the loop polls it.
    func add(_ listener: OneShotListener) async throws {
        try self.mailbox.checkAvailable()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            self.send(.add(listener, { done.resume() }))
        }
    }

    /// Stops accepting on `fd`: returns once the loop will never touch it again.
    func remove(_ fd: Int32) async {
        guard (try? self.mailbox.checkAvailable()) != nil else { return }
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            self.send(.remove(fd, { done.resume() }))
        }
    }

    private func send(_ command: Command) {
        self.mailbox.post(command) { [self] in self.run() }
    }

    private func run() {
        let allocator = ByteBufferAllocator()
        while true {
            self.polled.removeAll(keepingCapacity: true)
            self.polled.append(pollfd(fd: self.mailbox.wake, events: Int16(POLLIN), revents: 0))
            let now = NIODeadline.now()
            var timeout: Int32 = -1
            for index in self.listeners.indices {
                var fd = self.listeners[index].listener.fd
                if let until = self.listeners[index].pausedUntil {
                    if until > now {
                        // poll(2) ignores a negative descriptor.
                        fd = -1
                        let wait = Int32(clamping: (until - now).nanoseconds / 1_000_000 + 1)
                        timeout = timeout < 0 ? wait : min(timeout, wait)
                    } else {
                        self.listeners[index].pausedUntil = nil
                    }
                }
                self.polled.append(pollfd(fd: fd, events: Int16(POLLIN), revents: 0))
            }
            let ready = poll(&self.polled, nfds_t(self.polled.count), timeout)
            if ready < 0 {
                if errno != EINTR {
                    self.logger.error("accept loop: poll failed", metadata: ["errno": "\(errno)"])
                    usleep(10000)
                }
                continue
            }
            if self.polled[0].revents != 0 {
                self.applyCommands()
                // The socket list may have changed under the poll results: poll again.
                continue
            }
            for index in self.listeners.indices where self.polled[index + 1].revents != 0 {
                self.serve(index, allocator)
            }
        }
    }

    private func applyCommands() {
        for command in self.mailbox.take() {
            switch command {
            case .add(let listener, let done):
                // NIO's listening sockets are non-blocking already; an inherited one is made so by NIO's adoption.
                // Checked here all the same: a blocking accept would stop the loop.
                let flags = fcntl(listener.fd, F_GETFL)
                if flags >= 0, flags & O_NONBLOCK == 0 {
                    _ = fcntl(listener.fd, F_SETFL, flags | O_NONBLOCK)
                }
                self.listeners.append(Served(listener: listener, records: RecordBatch(listener.records)))
                done()
            case .remove(let fd, let done):
                self.listeners.removeAll { $0.listener.fd == fd }
                done()
            }
        }
    }

    /// Accepts and answers what waits on listener `index`, up to its share of this wake-up. A connection is served by
    /// the route in force when it was accepted, as NIO's channel initializer does it: the route is read again before
    /// an accept whenever it changed, and once a reload has given the socket a service with a channel of its own,
    /// nothing more is accepted here (a connection taken off the backlog here could not be given to NIO).
    private func serve(_ index: Int, _ allocator: ByteBufferAllocator) {
        let listener = self.listeners[index].listener
        let records = self.listeners[index].records
        defer { records.flush() }
        var seen = listener.reroutes.current
        guard var answer = self.answer(for: listener) else { return self.leave(index) }
        var name = sockaddr_storage()
        for _ in 0..<Self.acceptsPerWake {
            let current = listener.reroutes.current
            if current != seen {
                seen = current
                guard let rerouted = self.answer(for: listener) else { return self.leave(index) }
                answer = rerouted
            }
            var length = socklen_t(MemoryLayout<sockaddr_storage>.size)
            let fd = withUnsafeMutablePointer(to: &name) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { accept(listener.fd, $0, &length) }
            }
            guard fd >= 0 else {
                let error = errno
                if error == EAGAIN || error == EWOULDBLOCK {
                    return
                }
                if AcceptBackoff.shortages.contains(error) {
                    self.pause(index, error: error)
                    return
                }
                // ECONNABORTED (the client gave up in the backlog), EPERM (a firewall), EINTR: that connection's
                // trouble, not the listener's.
                continue
            }
            guard let client = SocketAddress(kernel: &name) else {
                Glibc.close(fd)
                continue
            }
            answer.serve(
                client: client,
                server: listener.wildcard ? SocketAddress.local(of: fd) : listener.bound,
                allocator: allocator,
                batch: records,
                send: { OneShotAnswer.send($0, on: fd) },
                close: { Glibc.close(fd) }
            )
        }
    }

    /// How the listener's route in force answers a connection; nil if it is no longer a one-shot service.
    private func answer(for listener: OneShotListener) -> OneShotAnswer? {
        let route = listener.route.withLockedValue { $0 }
        guard let makeReply = route.instance.replyOnConnect else { return nil }
        return OneShotAnswer(
            lifecycle: route.lifecycle(gate: listener.gate, records: listener.records),
            makeReply: makeReply
        )
    }

    /// A listener whose service has a channel of its own now: `RunningListener` is taking the socket back to NIO,
    /// whose channel initializer serves what waits. Left alone meanwhile, rather than polled again and again.
    private func leave(_ index: Int) {
        self.listeners[index].pausedUntil = NIODeadline.now() + Self.backoff
    }

    private func pause(_ index: Int, error: Int32) {
        let now = NIODeadline.now()
        self.listeners[index].pausedUntil = now + Self.backoff
        self.listeners[index].failures += 1
        if let last = self.listeners[index].lastReport, now - last < AcceptBackoff.reportPeriod {
            return
        }
        let listener = self.listeners[index].listener
        AcceptBackoff.report(
            error: error,
            failures: self.listeners[index].failures,
            service: listener.route.withLockedValue { $0.service },
            server: listener.bound,
            logger: self.logger
        )
        self.listeners[index].lastReport = now
        self.listeners[index].failures = 0
    }
}
