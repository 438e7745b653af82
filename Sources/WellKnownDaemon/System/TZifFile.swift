/// The parts of a TZif file (RFC 8536) that name offsets: transition times, their local time types, and the
/// POSIX TZ footer that rules after the last transition ("CET-1CEST,M3.5.0,M10.5.0/3").
struct TZifFile {
    struct LocalTimeType {
        var utcOffset: Int32
        var isDST: Bool
        var abbreviation: String
    }

    var transitions: [Int64] = []
    var transitionTypes: [Int] = []
    var types: [LocalTimeType] = []
    var footer: (standard: String, daylight: String?)?

    init?(bytes: [UInt8]) {
        var reader = ByteReader(bytes: bytes)
        guard let v1 = reader.header() else { return nil }
        var counts = v1.counts
        var timeSize = 4
        if v1.version >= 2 {
            // Skip the 32-bit block; the 64-bit one that follows covers every date.
            reader.skip(counts.blockSize(timeSize: 4))
            guard let v2 = reader.header() else { return nil }
            counts = v2.counts
            timeSize = 8
        }
        for _ in 0..<counts.time {
            guard let t = reader.signed(size: timeSize) else { return nil }
            self.transitions.append(t)
        }
        for _ in 0..<counts.time {
            guard let index = reader.byte() else { return nil }
            self.transitionTypes.append(Int(index))
        }
        var rawTypes: [(Int32, Bool, Int)] = []
        for _ in 0..<counts.type {
            guard let offset = reader.signed(size: 4), let dst = reader.byte(), let index = reader.byte() else {
                return nil
            }
            rawTypes.append((Int32(truncatingIfNeeded: offset), dst != 0, Int(index)))
        }
        guard let characters = reader.bytes(counts.char) else { return nil }
        self.types = rawTypes.map { offset, dst, index in
            let name = characters.dropFirst(index).prefix { $0 != 0 }
            return LocalTimeType(utcOffset: offset, isDST: dst, abbreviation: String(decoding: name, as: UTF8.self))
        }
        guard self.transitionTypes.allSatisfy({ $0 < self.types.count }), !self.types.isEmpty else { return nil }
        if v1.version >= 2 {
            reader.skip(counts.leap * 12 + counts.isStandard + counts.isUT)
            self.footer = reader.rest().flatMap(Self.parseFooter)
        }
    }

    func abbreviation(at seconds: Int64, isDST: Bool) -> String? {
        if let footer = self.footer, self.transitions.last.map({ seconds >= $0 }) ?? true {
            return isDST ? (footer.daylight ?? footer.standard) : footer.standard
        }
        guard let index = self.transitions.lastIndex(where: { $0 <= seconds }) else {
            return self.types.first?.abbreviation
        }
        return self.types[self.transitionTypes[index]].abbreviation
    }

    /// The zone names of a POSIX TZ string: `CET-1CEST,…` → ("CET", "CEST"); `<+0530>-5:30` → ("+0530", nil).
    static func parseFooter(_ text: String) -> (standard: String, daylight: String?)? {
        var rest = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        func name() -> String? {
            if rest.hasPrefix("<") {
                guard let end = rest.firstIndex(of: ">") else { return nil }
                let value = rest[rest.index(after: rest.startIndex)..<end]
                rest = rest[rest.index(after: end)...]
                return String(value)
            }
            let letters = rest.prefix { $0.isLetter }
            guard letters.count >= 3 else { return nil }
            rest = rest.dropFirst(letters.count)
            return String(letters)
        }
        guard let standard = name() else { return nil }
        rest = rest.drop { "+-0123456789:".contains($0) }
        let daylight = rest.isEmpty || rest.hasPrefix(",") ? nil : name()
        return (standard, daylight)
    }
}

private struct ByteReader {
    struct Counts {
        var isUT = 0, isStandard = 0, leap = 0, time = 0, type = 0, char = 0

        func blockSize(timeSize: Int) -> Int {
            self.time * timeSize + self.time + self.type * 6 + self.char + self.leap * (timeSize + 4)
                + self.isStandard + self.isUT
        }
    }

    let bytes: [UInt8]
    var position = 0

    mutating func header() -> (version: Int, counts: Counts)? {
        guard self.bytes.count >= self.position + 44,
            Array(self.bytes[self.position..<self.position + 4]) == Array("TZif".utf8)
        else { return nil }
        let versionByte = self.bytes[self.position + 4]
        let version = versionByte == 0 ? 1 : Int(versionByte) - Int(UInt8(ascii: "0"))
        self.position += 20
        var values: [Int] = []
        for _ in 0..<6 {
            guard let value = self.signed(size: 4), value >= 0 else { return nil }
            values.append(Int(value))
        }
        let counts = Counts(
            isUT: values[0],
            isStandard: values[1],
            leap: values[2],
            time: values[3],
            type: values[4],
            char: values[5]
        )
        return (version, counts)
    }

    mutating func signed(size: Int) -> Int64? {
        guard let raw = self.bytes(size) else { return nil }
        let unsigned = raw.reduce(UInt64(0)) { $0 << 8 | UInt64($1) }
        let shift = UInt64(64 - size * 8)
        return Int64(bitPattern: unsigned << shift) >> Int64(shift)
    }

    mutating func byte() -> UInt8? {
        self.bytes(1)?.first
    }

    mutating func bytes(_ count: Int) -> ArraySlice<UInt8>? {
        guard count >= 0, self.position + count <= self.bytes.count else { return nil }
        defer { self.position += count }
        return self.bytes[self.position..<self.position + count]
    }

    mutating func skip(_ count: Int) {
        self.position += count
    }

    mutating func rest() -> String? {
        guard self.position < self.bytes.count else { return nil }
        let text = String(decoding: self.bytes[self.position...], as: UTF8.self)
        return text.split(separator: "\n", omittingEmptySubsequences: true).first.map(String.init)
    }
}
