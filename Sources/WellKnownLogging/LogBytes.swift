/// Log lines under construction, appended through a raw pointer that grows by doubling. A line is a few dozen
/// pieces of a few bytes each, and `Array.append(contentsOf:)` takes its generic Sequence path for every one of
/// them (a large share of a datagram line's formatting: bench/PROFILES.md); here a piece is a bounds check and a
/// memcpy. A class, so that the formatter's many small functions share one buffer without copy-on-write checks;
/// each thread formats into its own.
public final class LogBytes: LogByteSink {
    private var base: UnsafeMutableRawPointer
    private var capacity: Int
    public private(set) var count = 0

    public init(capacity: Int = 256) {
        self.capacity = Swift.max(capacity, 16)
        self.base = .allocate(byteCount: self.capacity, alignment: 1)
    }

    deinit {
        self.base.deallocate()
    }

    @inline(__always)
    private func reserve(_ extra: Int) {
        if self.count + extra > self.capacity {
            self.grow(to: self.count + extra)
        }
    }

    private func grow(to needed: Int) {
        var capacity = self.capacity * 2
        while capacity < needed {
            capacity *= 2
        }
        let bigger = UnsafeMutableRawPointer.allocate(byteCount: capacity, alignment: 1)
        bigger.copyMemory(from: self.base, byteCount: self.count)
        self.base.deallocate()
        self.base = bigger
        self.capacity = capacity
    }

    @inline(__always)
    public func append(_ byte: UInt8) {
        self.reserve(1)
        self.base.storeBytes(of: byte, toByteOffset: self.count, as: UInt8.self)
        self.count += 1
    }

    @inline(__always)
    public func append(contentsOf bytes: UnsafeRawBufferPointer) {
        guard let source = bytes.baseAddress, bytes.count > 0 else { return }
        self.reserve(bytes.count)
        (self.base + self.count).copyMemory(from: source, byteCount: bytes.count)
        self.count += bytes.count
    }

    public func append(contentsOf bytes: UnsafeBufferPointer<UInt8>) {
        self.append(contentsOf: UnsafeRawBufferPointer(bytes))
    }

    public func append(contentsOf bytes: [UInt8]) {
        bytes.withUnsafeBytes { self.append(contentsOf: $0) }
    }

    /// A string's UTF-8, as it is: native strings in one copy.
    public func append(contentsOf utf8: String.UTF8View) {
        let copied: Void? = utf8.withContiguousStorageIfAvailable { self.append(contentsOf: $0) }
        if copied == nil {
            for byte in utf8 {
                self.append(byte)
            }
        }
    }

    /// Empties the buffer, keeping its memory.
    public func removeAll() {
        self.count = 0
    }

    public func withUnsafeBytes<Result>(_ body: (UnsafeRawBufferPointer) throws -> Result) rethrows -> Result {
        try body(UnsafeRawBufferPointer(start: self.base, count: self.count))
    }

    public var bytes: [UInt8] { self.withUnsafeBytes { Array($0) } }
}
