/// The user and group a daemon started as root switches to once its sockets are open. Names, with their position
/// in the file; the daemon looks them up. Unset: `nobody`, and that user's primary group (`nogroup` on Debian).
public struct RunAs: Sendable, Hashable {
    public static let defaultUser = "nobody"

    public var user: OptionValue?
    public var group: OptionValue?

    public init(user: OptionValue? = nil, group: OptionValue? = nil) {
        self.user = user
        self.group = group
    }

    /// `user: root` written in the file: the only way to serve as root.
    public var staysRoot: Bool { self.user?.value == "root" }
}
