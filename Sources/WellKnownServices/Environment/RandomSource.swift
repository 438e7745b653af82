/// A source of random integers. `system` draws from the operating system's generator.
public struct RandomSource: Sendable {
    private let draw: @Sendable (ClosedRange<Int>) -> Int

    public init(_ draw: @escaping @Sendable (ClosedRange<Int>) -> Int) {
        self.draw = draw
    }

    public func next(in range: ClosedRange<Int>) -> Int {
        self.draw(range)
    }

    public static let system = RandomSource { range in
        var generator = SystemRandomNumberGenerator()
        return Int.random(in: range, using: &generator)
    }
}
