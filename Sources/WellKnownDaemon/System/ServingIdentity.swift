/// Who to serve as if started as root.
enum ServingIdentity: Sendable, Hashable {
    /// `user: root` in the file.
    case root
    case switchTo(Credentials)
    /// The default user does not exist here; starting as root fails with this reason.
    case unavailable(String)
}
