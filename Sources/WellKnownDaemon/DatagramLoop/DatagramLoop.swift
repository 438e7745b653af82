import Logging
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// One thread that serves UDP sockets with batched system calls, as NSD and Knot DNS serve UDP: wait for any of
/// its sockets to be readable, read up to 32 datagrams with one recvmmsg, answer them all through the socket's
/// `DatagramServing`, send the replies with one sendmmsg. The daemon runs one per core, each with its own
/// SO_REUSEPORT socket for every UDP address.
///
/// Why not NIO's DatagramChannel: per datagram it builds an `AddressedEnvelope` with a `SocketAddress` whose host
/// string comes from inet_ntop, carries it through the pipeline in and out, and manages pending writes and
/// read-complete events, which together cost several times what the daemon itself does per datagram
/// (`bench/callgrind`; the figures are in bench/PROFILES.md). Everything the daemon does around a datagram (guard,
/// counts, reply cap, record) is `DatagramPolicy`, shared with the NIO path that still serves AF_UNIX datagram
/// sockets.
///
/// The socket list changes only on the loop's thread, between two batches (`LoopMailbox`), and `remove` returns once
/// the loop has let go of the socket, so its descriptor can be closed safely.
final class DatagramLoop: @unchecked Sendable {  // unchecked: the mutable state below is the loop thread's alone
    private enum Command {
        case add(BatchedDatagramSocket, @Sendable () -> Void)
        case remove(BatchedDatagramSocket, @Sendable () -> Void)
    }

    /// Batches read from one socket per wake-up at most, so that one busy socket cannot starve the loop's others.
    static let batchesPerWake = 8

    let name: String
    private let logger: Logger
    private let mailbox: LoopMailbox<Command>

    // The loop thread's own.
    private var sockets: [BatchedDatagramSocket] = []
    private var serving: [DatagramServing] = []
    private var polled: [pollfd] = []

    init(name: String, logger: Logger) {
        self.name = name
        self.logger = logger
        // Without an eventfd `add` fails, and so does the bind that called it.
        self.mailbox = LoopMailbox(name: name)
    }

    /// Starts serving `socket`: returns once the loop polls it.
    func add(_ socket: BatchedDatagramSocket) async throws {
        try self.mailbox.checkAvailable()
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            self.send(.add(socket, { done.resume() }))
        }
    }

    /// Stops serving `socket`: returns once the loop will never touch it again.
    func remove(_ socket: BatchedDatagramSocket) async {
        await withCheckedContinuation { (done: CheckedContinuation<Void, Never>) in
            self.send(.remove(socket, { done.resume() }))
        }
    }

    private func send(_ command: Command) {
        self.mailbox.post(command) { [self] in self.run() }
    }

    private func run() {
        let batch = DatagramBatch()
        let allocator = ByteBufferAllocator()
        self.polled = [pollfd(fd: self.mailbox.wake, events: Int16(POLLIN), revents: 0)]
        while true {
            let ready = poll(&self.polled, nfds_t(self.polled.count), -1)
            if ready < 0 {
                if errno != EINTR {
                    self.logger.error("datagram loop: poll failed", metadata: ["errno": "\(errno)"])
                    usleep(10000)
                }
                continue
            }
            if self.polled[0].revents != 0 {
                self.applyCommands()
                // The socket list may have changed under the poll results: poll again.
                continue
            }
            for index in self.sockets.indices where self.polled[index + 1].revents != 0 {
                self.serve(index, batch, allocator)
            }
        }
    }

    private func applyCommands() {
        for command in self.mailbox.take() {
            switch command {
            case .add(let socket, let done):
                let (generation, route) = socket.current
                self.sockets.append(socket)
                self.serving.append(
                    DatagramServing(route, generation: generation, bound: socket.localAddress, logger: self.logger)
                )
                self.polled.append(pollfd(fd: socket.fd, events: Int16(POLLIN), revents: 0))
                done()
            case .remove(let socket, let done):
                if let index = self.sockets.firstIndex(where: { $0 === socket }) {
                    self.sockets.remove(at: index)
                    self.serving.remove(at: index)
                    self.polled.remove(at: index + 1)
                }
                done()
            }
        }
    }

    /// Reads and answers batches from socket `index` until it has no more or has had its share of this wake-up.
    private func serve(_ index: Int, _ batch: DatagramBatch, _ allocator: ByteBufferAllocator) {
        let socket = self.sockets[index]
        let (generation, route) = socket.current
        if self.serving[index].generation != generation {
            self.serving[index] = DatagramServing(
                route,
                generation: generation,
                bound: socket.localAddress,
                logger: self.logger
            )
        }
        for _ in 0..<Self.batchesPerWake {
            let count = batch.receive(from: socket.fd, packetInfo: socket.packetInfo)
            guard count > 0 else {
                let error = errno
                if count < 0 && error != EAGAIN && error != EWOULDBLOCK && error != EINTR {
                    // An ICMP error queued on the socket (a previous reply's port unreachable, say): one peer's
                    // trouble, never a reason to stop serving the others.
                    self.logger.debug(
                        "datagram error",
                        metadata: ["service": "\(route.service)", "errno": "\(error)"]
                    )
                }
                return
            }
            self.serving[index].answer(batch, count: count, packetInfo: socket.packetInfo, allocator: allocator)
            let failed = batch.sendQueued(on: socket.fd)
            if failed > 0 {
                self.logger.debug(
                    "datagram replies not sent",
                    metadata: ["service": "\(route.service)", "count": "\(failed)", "errno": "\(errno)"]
                )
            }
            if count < DatagramBatch.capacity {
                return
            }
        }
    }
}
