/// `struct ucred` (pid, uid, gid), which Glibc only declares under _GNU_SOURCE: the layout SO_PEERCRED fills.
struct PeerCredentials: Sendable {
    var pid: Int32 = 0
    var uid: UInt32 = 0
    var gid: UInt32 = 0
}
