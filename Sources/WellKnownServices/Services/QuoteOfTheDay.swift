// qotd, RFC 865: "a short message", sent to a TCP client on connect (then the connection closes) and in answer
// to every UDP datagram. The RFC keeps a message under 512 characters and suggests one quote a day; quotes come
// from a fortune(6) file (quotes between lines holding only `%`) named by `quotes:`, or from a small built-in set.
// A quote is sent whole or not at all: over UDP the guard's reply cap drops it rather than cut it (qotd is a
// listed amplification vector, US-CERT TA14-017A).
import NIOCore

extension ServiceDescriptor {
    public static let qotd = ServiceDescriptor(
        name: "qotd",
        rfc: 865,
        wellKnownPort: 17,
        summary: "sends a quote: one a day, or one at random",
        options: [.qotdQuotes, .qotdSelect]
    ) { options, environment throws(ServiceOptionError) in
        var quotes = QuoteFile.builtIn
        if let file = options.file(of: .qotdQuotes) {
            do throws(QuoteFile.Problem) {
                quotes = try QuoteFile(contents: file.contents)
            } catch {
                throw ServiceOptionError(key: "quotes", message: "\(file.path):\(error.description)")
            }
        }
        let selection = QuoteSelection(rawValue: options.value(of: .qotdSelect)) ?? .daily
        return .singleReply(
            name: "qotd",
            QuoteReply(quotes: quotes, selection: selection, clock: environment.clock, random: environment.random)
        )
    }
}

extension ServiceOption {
    public static let qotdQuotes = ServiceOption(
        key: "quotes",
        summary: "a fortune(6) file: quotes separated by lines holding only %, each under 512 characters",
        kind: .file(maximumSize: QuoteFile.maximumFileSize),
        defaultValue: nil
    )

    public static let qotdSelect = ServiceOption(
        key: "select",
        summary: "daily (the same quote all day, UTC, as the RFC suggests) or random (one per request)",
        allowedValues: QuoteSelection.allCases.map(\.rawValue),
        defaultValue: QuoteSelection.daily.rawValue
    )
}

public enum QuoteSelection: String, CaseIterable, Sendable {
    case daily
    case random
}

/// The quotes of a fortune(6) file, each as it goes on the wire: its lines ending in CRLF.
public struct QuoteFile: Sendable, Hashable {
    /// RFC 865: "The message may be up to 512 characters"; a quote must stay under that on the wire.
    public static let maximumQuoteLength = 511
    public static let maximumFileSize = 1 << 20

    public let quotes: [[UInt8]]

    /// What is wrong with a file: `LINE: message`, the line being the quote's first in the file.
    public struct Problem: Error, Sendable, Hashable, CustomStringConvertible {
        public let line: Int
        public let message: String
        public var description: String { "\(self.line): \(self.message)" }

        public init(line: Int, message: String) {
            self.line = line
            self.message = message
        }
    }

    public init(quotes: [[UInt8]]) {
        self.quotes = quotes
    }

    /// Quotes are the runs of lines between lines holding only `%` (trailing spaces and a CR allowed); blank runs
    /// are skipped, and a quote's leading and trailing blank lines are dropped.
    public init(contents: String) throws(Problem) {
        var quotes: [[UInt8]] = []
        var current: [(number: Int, text: Substring)] = []
        func finish() throws(Problem) {
            while let first = current.first, first.text.allSatisfy(\.isWhitespace) { current.removeFirst() }
            while let last = current.last, last.text.allSatisfy(\.isWhitespace) { current.removeLast() }
            guard let first = current.first else { return }
            var wire: [UInt8] = []
            for line in current {
                wire += Array(line.text.utf8) + [13, 10]
            }
            guard wire.count <= Self.maximumQuoteLength else {
                throw Problem(
                    line: first.number,
                    message: "the quote is \(wire.count) bytes with its CRLFs; RFC 865 allows fewer than 512"
                )
            }
            quotes.append(wire)
        }
        // "\r\n" is one Character in Swift: both line ends split here.
        let lines = contents.split(omittingEmptySubsequences: false) { $0 == "\n" || $0 == "\r\n" }
        for (index, line) in lines.enumerated() {
            if line.trimmingSuffix(while: { $0 == " " || $0 == "\t" || $0 == "\r" }) == "%" {
                try finish()
                current = []
            } else {
                current.append((index + 1, line.hasSuffix("\r") ? line.dropLast() : line))
            }
        }
        try finish()
        guard !quotes.isEmpty else {
            throw Problem(line: 1, message: "the file holds no quote (quotes are separated by lines holding %)")
        }
        self.quotes = quotes
    }

    /// Used without a `quotes:` file: words from these protocols' own world, each at most 64 bytes, the UDP
    /// guard's default reply floor, so that they get through it whole over UDP too.
    public static let builtIn = QuoteFile(
        quotes: [
            "Be liberal in what you accept.\r\n    -- Jon Postel, RFC 793\r\n",
            "Any data received is thrown away.\r\n    -- RFC 863\r\n",
            "There is no specific syntax for the daytime.\r\n    -- RFC 867\r\n",
            "A short message, once a day.\r\n    -- after RFC 865\r\n",
            "Two addresses, two ports: a socket pair.\r\n",
        ].map { Array($0.utf8) }
    )
}

/// One quote per request: by UTC day (`daily`) or drawn at random.
public struct QuoteReply: ReplyProducer, Sendable {
    public let quotes: QuoteFile
    public let selection: QuoteSelection
    public let clock: WallClock
    public let random: RandomSource

    public init(quotes: QuoteFile, selection: QuoteSelection, clock: WallClock, random: RandomSource) {
        self.quotes = quotes
        self.selection = selection
        self.clock = clock
        self.random = random
    }

    public mutating func reply(to request: ByteBuffer, allocator: ByteBufferAllocator) -> ByteBuffer? {
        let count = self.quotes.quotes.count
        guard count > 0 else { return nil }
        let index: Int
        switch self.selection {
        case .daily:
            let day = (self.clock.now()?.secondsSinceEpoch ?? 0) / 86_400
            index = Int(((day % Int64(count)) + Int64(count)) % Int64(count))
        case .random:
            index = self.random.next(in: 0...(count - 1))
        }
        var buffer = allocator.buffer(capacity: self.quotes.quotes[index].count)
        buffer.writeBytes(self.quotes.quotes[index])
        return buffer
    }
}
