import CDatagramIO
import NIOCore

#if canImport(Glibc)
import Glibc
#endif

/// The memory a `DatagramLoop` reads and answers datagrams in, allocated once per loop: `capacity` receive slots of
/// `slotSize` bytes (each holds the largest UDP payload, 65527 bytes over IPv6, so nothing is ever cut), the
/// senders' addresses and the datagrams' control messages, and as many reply slots. recvmmsg and sendmmsg want
/// arrays of headers that point into buffers which stay put; NIO's own (DatagramVectorReadManager) is internal to
/// NIOPosix, so these few pointers are managed by hand, and only ever touched on the loop's thread.
final class DatagramBatch {
    static let capacity = 32
    static let slotSize = 65536

    private let received: UnsafeMutablePointer<wk_mmsghdr>
    private let replies: UnsafeMutablePointer<wk_mmsghdr>
    private let receiveVectors: UnsafeMutablePointer<iovec>
    private let replyVectors: UnsafeMutablePointer<iovec>
    private let names: UnsafeMutablePointer<sockaddr_storage>
    private let controls: UnsafeMutableRawPointer
    private let controlSpace: Int
    private let receiveBytes: UnsafeMutableRawPointer
    private let replyBytes: UnsafeMutableRawPointer
    /// The sender of the current run of datagrams (see `sourceRun(of:)`), kept for the datagrams that follow from
    /// it: a `SocketAddress` costs an allocation and its release, and a client usually sends more than one datagram
    /// in a row.
    private(set) var runSource: SocketAddress?
    private var runSourceName = sockaddr_storage()
    private var runSourceLength = 0
    private var run: UInt64 = 0
    /// Replies waiting for `sendQueued`.
    private(set) var queued = 0

    init() {
        let capacity = Self.capacity
        self.received = .allocate(capacity: capacity)
        self.replies = .allocate(capacity: capacity)
        self.receiveVectors = .allocate(capacity: capacity)
        self.replyVectors = .allocate(capacity: capacity)
        self.names = .allocate(capacity: capacity)
        self.controlSpace = wk_packet_info_space()
        self.controls = .allocate(byteCount: capacity * self.controlSpace, alignment: 16)
        self.receiveBytes = .allocate(byteCount: capacity * Self.slotSize, alignment: 16)
        self.replyBytes = .allocate(byteCount: capacity * Self.slotSize, alignment: 16)
        for slot in 0..<capacity {
            self.receiveVectors[slot] = iovec(
                iov_base: self.receiveBytes + slot * Self.slotSize,
                iov_len: Self.slotSize
            )
            self.replyVectors[slot] = iovec(iov_base: self.replyBytes + slot * Self.slotSize, iov_len: 0)
        }
    }

    deinit {
        self.received.deallocate()
        self.replies.deallocate()
        self.receiveVectors.deallocate()
        self.replyVectors.deallocate()
        self.names.deallocate()
        self.controls.deallocate()
        self.receiveBytes.deallocate()
        self.replyBytes.deallocate()
    }

    /// Reads up to `capacity` datagrams without waiting: how many arrived, or -1 with errno (EAGAIN: none waiting).
    /// `packetInfo`: keep each datagram's control message, for `destination(of:)`.
    func receive(from fd: Int32, packetInfo: Bool) -> Int {
        for slot in 0..<Self.capacity {
            self.received[slot] = wk_mmsghdr(
                msg_hdr: msghdr(
                    msg_name: UnsafeMutableRawPointer(self.names + slot),
                    msg_namelen: socklen_t(MemoryLayout<sockaddr_storage>.size),
                    msg_iov: self.receiveVectors + slot,
                    msg_iovlen: 1,
                    msg_control: packetInfo ? self.controls + slot * self.controlSpace : nil,
                    msg_controllen: packetInfo ? self.controlSpace : 0,
                    msg_flags: 0
                ),
                msg_len: 0
            )
        }
        return Int(wk_recvmmsg(fd, self.received, UInt32(Self.capacity), Int32(MSG_DONTWAIT)))
    }

    /// The run of datagrams from one sender that datagram `slot` belongs to: a number that changes whenever a
    /// datagram's sender differs from the previous one's (on any socket of the loop), with `runSource` then its
    /// sender. nil for anything but IPv4 and IPv6 (which an IP socket never reports). A run lets the datagrams after
    /// its first skip what depends only on the sender, and a number is compared without the retain and release that
    /// copying a `SocketAddress` costs: about a tenth of the loop's core went to those (bench/HISTORY.md).
    func sourceRun(of slot: Int) -> UInt64? {
        let length = Int(self.received[slot].msg_hdr.msg_namelen)
        if self.runSourceLength > 0, length == self.runSourceLength,
            memcmp(self.names + slot, &self.runSourceName, length) == 0
        {
            return self.run
        }
        guard let source = SocketAddress(kernel: self.names + slot) else { return nil }
        self.run &+= 1
        self.runSource = source
        self.runSourceLength = length
        self.runSourceName = self.names[slot]
        return self.run
    }

    /// The bytes of datagram `slot`.
    func payload(of slot: Int) -> UnsafeRawBufferPointer {
        UnsafeRawBufferPointer(start: self.receiveBytes + slot * Self.slotSize, count: Int(self.received[slot].msg_len))
    }

    /// Where datagram `slot` was sent (port 0), from its packet-info control message; nil without one.
    func destination(of slot: Int) -> SocketAddress? {
        var destination = sockaddr_storage()
        guard wk_packet_destination(&self.received[slot].msg_hdr, &destination) == 1 else { return nil }
        return SocketAddress(kernel: &destination)
    }

    /// Queues the first `count` bytes of `reply` (at most `slotSize`) for the sender of datagram `slot`.
    func queueReply(_ reply: ByteBuffer, count: Int, toSenderOf slot: Int) {
        let index = self.queued
        let length = min(count, reply.readableBytes, Self.slotSize)
        reply.withUnsafeReadableBytes { bytes in
            if let base = bytes.baseAddress {
                (self.replyBytes + index * Self.slotSize).copyMemory(from: base, byteCount: length)
            }
        }
        self.replyVectors[index].iov_len = length
        self.replies[index] = wk_mmsghdr(
            msg_hdr: msghdr(
                msg_name: UnsafeMutableRawPointer(self.names + slot),
                msg_namelen: self.received[slot].msg_hdr.msg_namelen,
                msg_iov: self.replyVectors + index,
                msg_iovlen: 1,
                msg_control: nil,
                msg_controllen: 0,
                msg_flags: 0
            ),
            msg_len: 0
        )
        self.queued += 1
    }

    /// Sends the queued replies with as few sendmmsg calls as the socket allows, and empties the queue. A reply the
    /// kernel refuses is skipped: one peer's error is not the next one's. A full send buffer is waited on once, for
    /// at most 10 ms (the loop has other sockets to serve); what still does not fit is dropped, as the network would.
    /// Returns how many replies were not sent.
    func sendQueued(on fd: Int32) -> Int {
        var next = 0
        var failed = 0
        var waited = false
        while next < self.queued {
            let sent = wk_sendmmsg(fd, self.replies + next, UInt32(self.queued - next), Int32(MSG_DONTWAIT))
            if sent > 0 {
                next += Int(sent)
                continue
            }
            let error = errno
            if sent < 0 && error == EINTR {
                continue
            }
            if sent < 0 && (error == EAGAIN || error == EWOULDBLOCK) {
                if !waited {
                    waited = true
                    var writable = pollfd(fd: fd, events: Int16(POLLOUT), revents: 0)
                    _ = poll(&writable, 1, 10)
                    continue
                }
                failed += self.queued - next
                break
            }
            failed += 1
            next += 1
        }
        self.queued = 0
        return failed
    }
}
