#if canImport(Glibc)
import Glibc
#endif

/// A user and group looked up in the system's databases.
struct Credentials: Sendable, Hashable, CustomStringConvertible {
    let user: String
    let uid: uid_t
    let group: String
    let gid: gid_t

    var description: String { "\(self.user)(\(self.uid)):\(self.group)(\(self.gid))" }
}
