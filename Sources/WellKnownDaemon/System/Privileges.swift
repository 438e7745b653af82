// Dropping root. A daemon started as root (not under systemd's User= or DynamicUser=, which start it unprivileged)
// opens its sockets, switches to the configured user and group, and only then starts reading from them: nothing is
// ever served as root unless the file says `user: root`.
import WellKnownConfig

#if canImport(Glibc)
import Glibc
#endif

enum Privileges {
    /// Looks up the file's `user` and `group`. Names the file gives must exist (an error at their position);
    /// a missing default user only matters if the daemon is started as root.
    static func identity(for runAs: RunAs) -> Result<ServingIdentity, ConfigurationErrors> {
        var errors: [ConfigurationError] = []
        let userName = runAs.user?.value ?? RunAs.defaultUser
        let account = Self.lookupUser(userName)
        if account == nil, let user = runAs.user {
            errors.append(
                ConfigurationError(
                    location: user.location,
                    keyPath: "user",
                    message: "no user '\(userName)' on this system"
                )
            )
        }
        var gid = account?.gid
        var groupName = account.flatMap { Self.lookupGroupName($0.gid) } ?? account.map { "\($0.gid)" }
        if let group = runAs.group {
            if let found = Self.lookupGroup(group.value) {
                gid = found
                groupName = group.value
            } else {
                errors.append(
                    ConfigurationError(
                        location: group.location,
                        keyPath: "group",
                        message: "no group '\(group.value)' on this system"
                    )
                )
            }
        }
        guard errors.isEmpty else { return .failure(ConfigurationErrors(errors)) }
        if runAs.staysRoot {
            return .success(.root)
        }
        guard let account, let gid, let groupName else {
            return .success(
                .unavailable("the default user '\(userName)' does not exist; set `user:` in the configuration")
            )
        }
        return .success(.switchTo(Credentials(user: userName, uid: account.uid, group: groupName, gid: gid)))
    }

    enum Outcome: Equatable {
        /// Not started as root: nothing to drop.
        case notRoot
        /// Root, and the file says to stay root.
        case stayedRoot
        case dropped(Credentials)
    }

    struct DropError: Error, CustomStringConvertible {
        let description: String
    }

    /// Switches the whole process (every thread) to `identity` if it runs as root: supplementary groups, then the
    /// group, then the user, and checks that root cannot be regained.
    static func drop(to identity: ServingIdentity) throws(DropError) -> Outcome {
        guard geteuid() == 0 else { return .notRoot }
        switch identity {
        case .root:
            return .stayedRoot
        case .unavailable(let reason):
            throw DropError(description: "started as root and cannot drop privileges: \(reason)")
        case .switchTo(let credentials):
            var gid = credentials.gid
            guard setgroups(1, &gid) == 0 else { throw Self.failure("setgroups(\(gid))") }
            guard setgid(credentials.gid) == 0 else { throw Self.failure("setgid(\(credentials.gid))") }
            guard setuid(credentials.uid) == 0 else { throw Self.failure("setuid(\(credentials.uid))") }
            guard
                credentials.uid == 0 || (setuid(0) != 0 && geteuid() == credentials.uid && getegid() == credentials.gid)
            else {
                throw DropError(description: "privileges were not dropped: root could be regained")
            }
            return .dropped(credentials)
        }
    }

    /// Whether the process, as the user it runs as now, may read `path` (access(2) checks the real ids, which
    /// `drop` has set).
    static func canRead(_ path: String) -> Bool {
        access(path, R_OK) == 0
    }

    private static func failure(_ call: String) -> DropError {
        DropError(description: "cannot drop privileges: \(call) failed: \(String(cString: strerror(errno)))")
    }

    private static func lookupUser(_ name: String) -> (uid: uid_t, gid: gid_t)? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getpwnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return (entry.pw_uid, entry.pw_gid)
    }

    private static func lookupGroup(_ name: String) -> gid_t? {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getgrnam_r(name, &entry, &buffer, buffer.count, &result) == 0, result != nil else { return nil }
        return entry.gr_gid
    }

    private static func lookupGroupName(_ gid: gid_t) -> String? {
        var entry = group()
        var result: UnsafeMutablePointer<group>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getgrgid_r(gid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.gr_name
        else { return nil }
        return String(cString: name)
    }

    /// The name the password database gives `uid`, if any (ident's `reply: user`).
    static func userName(_ uid: uid_t) -> String? {
        var entry = passwd()
        var result: UnsafeMutablePointer<passwd>?
        var buffer = [CChar](repeating: 0, count: 16384)
        guard getpwuid_r(uid, &entry, &buffer, buffer.count, &result) == 0, result != nil, let name = entry.pw_name
        else { return nil }
        return String(cString: name)
    }
}
