public enum Transport: String, Sendable, Hashable, CaseIterable, Comparable {
    case tcp
    case udp

    public static func < (lhs: Transport, rhs: Transport) -> Bool {
        lhs.rawValue < rhs.rawValue
    }
}
