// eventfd(2) reaches Swift through CDatagramIO's header (sys/eventfd.h): Glibc's module does not carry it.
import CDatagramIO
import Foundation
import NIOConcurrencyHelpers
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// How the daemon's own loop threads (`DatagramLoop`, `AcceptLoop`), which sleep in poll(2), are told to change
/// what they serve: a command is queued under a lock and the thread is woken through an eventfd it polls first, so
/// that its socket list changes only on its own thread, between two waits. The thread starts with the first command
/// and lives as long as the process.
final class LoopMailbox<Command: Sendable>: Sendable {
    /// The descriptor the loop polls first; -1 if the kernel would not give us one.
    let wake: Int32
    private let wakeError: Int32
    private let name: String
    private let state = NIOLockedValueBox<(pending: [Command], started: Bool)>(([], false))

    init(name: String) {
        self.name = name
        self.wake = eventfd(0, Int32(EFD_NONBLOCK) | Int32(EFD_CLOEXEC))
        self.wakeError = self.wake < 0 ? errno : 0
    }

    /// Throws if the loop cannot be woken (no eventfd): then it cannot take a socket either.
    func checkAvailable() throws {
        guard self.wake >= 0 else { throw IOError(errnoCode: self.wakeError, reason: "eventfd") }
    }

    /// Queues `command` and wakes the loop; with the first command, starts the loop's thread running `run`.
    func post(_ command: Command, run: @escaping @Sendable () -> Void) {
        let start = self.state.withLockedValue { state -> Bool in
            state.pending.append(command)
            defer { state.started = true }
            return !state.started
        }
        if start {
            let thread = Thread(block: run)
            thread.name = self.name
            thread.start()
        }
        var one: UInt64 = 1
        _ = Glibc.write(self.wake, &one, MemoryLayout<UInt64>.size)
    }

    /// On the loop's thread, once poll says `wake` is readable: the commands queued since the last call.
    func take() -> [Command] {
        var count: UInt64 = 0
        _ = Glibc.read(self.wake, &count, MemoryLayout<UInt64>.size)
        return self.state.withLockedValue { state in
            defer { state.pending.removeAll() }
            return state.pending
        }
    }
}
