/// How log lines look.
public enum LogFormat: String, Sendable, CaseIterable {
    /// `ts=… level=info msg=connection service=echo proto=tcp client=… server=… …` (logfmt)
    case text
    /// One JSON object per line.
    case json
}
