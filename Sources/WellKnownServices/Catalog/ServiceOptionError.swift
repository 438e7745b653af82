/// A bad option value found when a service is configured (for example a time zone the system does not know).
public struct ServiceOptionError: Error, Sendable, Hashable {
    public let key: String
    public let message: String

    public init(key: String, message: String) {
        self.key = key
        self.message = message
    }
}
