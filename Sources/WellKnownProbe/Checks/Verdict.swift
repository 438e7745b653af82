/// What one probe concluded, with the detail a person needs to act on it.
public enum Verdict: Sendable, Equatable {
    /// The answer is what the RFC defines.
    case ok(String)
    /// An answer came, and it is not what the RFC defines: what was wrong.
    case wrong(String)
    /// TCP: the connection was refused (RST). UDP: ICMP port unreachable came back.
    case refused(String)
    /// Nothing (or not all of the answer) came within the timeout: filtered, lost, or a server that stalls.
    case timeout(String)
    /// The connection was reset after it was established.
    case reset(String)

    public var name: String {
        switch self {
        case .ok: return "ok"
        case .wrong: return "wrong"
        case .refused: return "refused"
        case .timeout: return "timeout"
        case .reset: return "reset"
        }
    }

    public var detail: String {
        switch self {
        case .ok(let detail), .wrong(let detail), .refused(let detail), .timeout(let detail), .reset(let detail):
            return detail
        }
    }

    public var isOK: Bool {
        if case .ok = self { return true }
        return false
    }
}
