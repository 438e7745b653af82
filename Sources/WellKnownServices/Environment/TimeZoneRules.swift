/// The rules of one time zone: which offset applies at a given instant.
public protocol TimeZoneRules: Sendable {
    func offset(atSecondsSinceEpoch seconds: Int64) -> UTCOffset
}
