import NIOCore

/// Who owns a TCP connection of this host, found by its exact socket pair: what ident (RFC 1413) answers. The
/// daemon looks it up in the kernel's socket table; tests inject their own.
public struct ConnectionOwners: Sendable {
    /// The owner of a connection: its uid and, if the password database has one, the user name.
    public struct Owner: Sendable, Hashable {
        public let uid: UInt32
        public let user: String?

        public init(uid: UInt32, user: String?) {
            self.uid = uid
            self.user = user
        }
    }

    public enum Answer: Sendable, Hashable {
        case owner(Owner)
        /// No TCP connection has this socket pair.
        case noConnection
        /// The lookup itself failed.
        case unknown
    }

    private let lookup: @Sendable (_ local: SocketAddress, _ remote: SocketAddress) -> Answer

    /// `lookup(local, remote)`: the connection whose local end is `local` and remote end `remote`, ports included.
    public init(_ lookup: @escaping @Sendable (_ local: SocketAddress, _ remote: SocketAddress) -> Answer) {
        self.lookup = lookup
    }

    public func owner(local: SocketAddress, remote: SocketAddress) -> Answer {
        self.lookup(local, remote)
    }

    /// Knows no connection: for environments without a socket table (and the default).
    public static let none = ConnectionOwners { _, _ in .noConnection }
}
