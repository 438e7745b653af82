// chargen, RFC 864: the 95 printable ASCII characters (32...126) as a ring, 72 per line + CRLF, each line starting
// one character later. TCP streams from line 0 (which begins with a space, as in every BSD) until the client
// closes, writing only while the socket is writable. UDP, per the RFC, replies with a random 0...512 bytes of the
// pattern and keeps no state between datagrams; `udp-mode: bsd` sends one 74-byte line per datagram instead,
// advancing through the ring as BSD inetd does.
import NIOCore

extension ServiceDescriptor {
    public static let chargen = ServiceDescriptor(
        name: "chargen",
        rfc: 864,
        wellKnownPort: 19,
        summary: "streams lines of printable characters",
        options: [.chargenUDPMode]
    ) { options, environment in
        let bsd = options.value(of: .chargenUDPMode) == "bsd"
        let random = environment.random
        return ServiceInstance(
            name: "chargen",
            stream: { [ChargenStreamHandler()] },
            datagram: { bsd ? ChargenReply.bsdLine() : ChargenReply.randomLength(random) }
        )
    }
}

extension ServiceOption {
    public static let chargenUDPMode = ServiceOption(
        key: "udp-mode",
        summary: "rfc: 0...512 random bytes per datagram; bsd: one 74-byte line per datagram",
        allowedValues: ["rfc", "bsd"],
        defaultValue: "rfc"
    )
}

public enum ChargenPattern {
    public static let firstCharacter: UInt8 = 32
    public static let characterCount = 95
    public static let charactersPerLine = 72
    /// 72 characters + CRLF.
    public static let bytesPerLine = 74
    /// After 95 lines the pattern repeats: 95 × 74 = 7030 bytes.
    public static let cycleLength = characterCount * bytesPerLine

    /// Line `n` of the pattern, CRLF included.
    public static func line(_ n: Int) -> [UInt8] {
        let start = n % characterCount
        var bytes = (0..<charactersPerLine).map { firstCharacter + UInt8((start + $0) % characterCount) }
        bytes.append(contentsOf: [UInt8(ascii: "\r"), UInt8(ascii: "\n")])
        return bytes
    }

    /// The whole cycle, lines 0...94.
    public static let cycle: [UInt8] = (0..<characterCount).flatMap { line($0) }

    /// Bytes a stream writes at once.
    public static let streamChunk = 16 * 1024

    /// The cycle repeated far enough that any `streamChunk` bytes starting inside the first cycle are one
    /// contiguous slice: streams write read-only slices of this one buffer and allocate nothing per write.
    public static let buffer: ByteBuffer = {
        let copies = (cycleLength + streamChunk + cycleLength - 1) / cycleLength
        return ByteBuffer(bytes: Array([[UInt8]](repeating: cycle, count: copies).joined()))
    }()

    /// `length` bytes of the stream that starts at line 0, from byte `offset` on. `offset + length` must not pass
    /// the end of `buffer`, which holds a whole cycle plus one chunk.
    static func slice(offset: Int, length: Int) -> ByteBuffer {
        buffer.getSlice(at: buffer.readerIndex + offset % cycleLength, length: length)
            ?? ByteBuffer()
    }
}

/// TCP chargen. Writes the pattern while the channel is writable, at most `bytesPerRound` bytes before it lets the
/// other connections of its event loop run; stops when the client stops reading and carries on when it reads again.
/// Outbound data never exceeds the channel's write-buffer high-water mark plus one chunk.
public final class ChargenStreamHandler: ChannelInboundHandler {
    public typealias InboundIn = ByteBuffer
    public typealias OutboundOut = ByteBuffer

    public let bytesPerRound: Int
    /// Position in the cycle of the next byte to write.
    private var offset = 0
    private var active = false
    private var pumping = false
    private var roundScheduled = false

    public init(bytesPerRound: Int = 256 * 1024) {
        self.bytesPerRound = bytesPerRound
    }

    public func channelActive(context: ChannelHandlerContext) {
        self.active = true
        context.fireChannelActive()
        self.pump(context: context)
    }

    public func channelInactive(context: ChannelHandlerContext) {
        self.active = false
        context.fireChannelInactive()
    }

    public func channelWritabilityChanged(context: ChannelHandlerContext) {
        if context.channel.isWritable {
            self.pump(context: context)
        }
        context.fireChannelWritabilityChanged()
    }

    public func channelRead(context: ChannelHandlerContext, data: NIOAny) {
        // Input is dropped. A client that shuts its write side still gets the stream until it closes.
    }

    private func pump(context: ChannelHandlerContext) {
        // A flush can report writability synchronously and bring us back here: the outer call carries on.
        guard self.active, !self.pumping else { return }
        self.pumping = true
        defer { self.pumping = false }

        var written = 0
        while self.active, context.channel.isWritable, written < self.bytesPerRound {
            let length = ChargenPattern.streamChunk
            context.write(self.wrapOutboundOut(ChargenPattern.slice(offset: self.offset, length: length)), promise: nil)
            self.offset = (self.offset + length) % ChargenPattern.cycleLength
            written += length
        }
        context.flush()

        // Still writable: the kernel took everything. No writability event will come, so come back by ourselves
        // after the event loop has served the others.
        if self.active, context.channel.isWritable, !self.roundScheduled {
            self.roundScheduled = true
            context.eventLoop.assumeIsolated().execute {
                self.roundScheduled = false
                self.pump(context: context)
            }
        }
    }
}

/// UDP chargen.
public struct ChargenReply: ReplyProducer {
    private enum Mode {
        case randomLength(RandomSource)
        case bsdLine(next: Int)
    }

    private var mode: Mode

    /// RFC 864: "a random number (between 0 and 512) of characters", from the start of the pattern.
    public static func randomLength(_ random: RandomSource) -> ChargenReply {
        ChargenReply(mode: .randomLength(random))
    }

    /// BSD inetd: one 74-byte line per datagram, each the next line of the ring.
    public static func bsdLine() -> ChargenReply {
        ChargenReply(mode: .bsdLine(next: 0))
    }

    public mutating func reply(to request: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer? {
        switch self.mode {
        case .randomLength(let random):
            return ChargenPattern.slice(offset: 0, length: random.next(in: 0...512))
        case .bsdLine(let next):
            self.mode = .bsdLine(next: (next + 1) % ChargenPattern.characterCount)
            return ChargenPattern.slice(offset: next * ChargenPattern.bytesPerLine, length: ChargenPattern.bytesPerLine)
        }
    }
}
