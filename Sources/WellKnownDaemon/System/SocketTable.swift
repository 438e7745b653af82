// sys/socket.h's SOCK_* constants reach Swift through CSystemd and CDatagramIO (see ListenerFactory).
import CDatagramIO
import CSockDiag
import CSystemd
import NIOCore
import WellKnownLogging
import WellKnownServices

#if canImport(Glibc)
import Glibc
#endif

/// The kernel's table of TCP sockets, asked through netlink sock_diag (sock_diag(7), `inet_diag_req_v2`) for the
/// one connection with an exact socket pair: its owner's uid, for ident. Exact lookups, not a dump and not
/// /proc/net/tcp text: the kernel answers from its hash table, one request and one reply of a few hundred bytes,
/// so the event loop waits microseconds (the same order as the getsockname NIO calls per connection). IPv4 pairs
/// are also tried as IPv4-mapped IPv6 (a dual-stack socket's connections) and the other way round.
enum SocketTable {
    static let owners = ConnectionOwners { local, remote in
        Self.owner(local: local, remote: remote)
    }

    static func owner(local: SocketAddress, remote: SocketAddress) -> ConnectionOwners.Answer {
        guard let localPort = local.port, let remotePort = remote.port else { return .unknown }
        var sawFailure = false
        for (family, localBytes, remoteBytes) in Self.forms(local: local, remote: remote) {
            switch Self.lookup(
                family: family,
                local: localBytes,
                localPort: localPort,
                remote: remoteBytes,
                remotePort: remotePort
            ) {
            case .success(let uid?):
                return .owner(.init(uid: uid, user: Privileges.userName(uid)))
            case .success(nil):
                continue
            case .failure:
                sawFailure = true
            }
        }
        return sawFailure ? .unknown : .noConnection
    }

    /// The pair as the kernel may hold it: as given, and IPv4 as v4-mapped IPv6 or v4-mapped IPv6 as IPv4.
    private static func forms(local: SocketAddress, remote: SocketAddress) -> [(Int32, [UInt8], [UInt8])] {
        func v4(_ address: SocketAddress) -> [UInt8]? {
            address.ipv4Value.map { withUnsafeBytes(of: $0.bigEndian) { Array($0) } }
        }
        func v6(_ address: SocketAddress) -> [UInt8]? {
            if case .v6(let inner) = address {
                return withUnsafeBytes(of: inner.address.sin6_addr) { Array($0) }
            }
            return v4(address).map { [0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0xFF, 0xFF] + $0 }
        }
        var forms: [(Int32, [UInt8], [UInt8])] = []
        if let l = v4(local), let r = v4(remote) { forms.append((AF_INET, l, r)) }
        if let l = v6(local), let r = v6(remote) { forms.append((AF_INET6, l, r)) }
        return forms
    }

    private struct LookupFailed: Error {}

    /// One exact request. `.success(nil)`: no such connection (the kernel says ENOENT).
    private static func lookup(
        family: Int32,
        local: [UInt8],
        localPort: Int,
        remote: [UInt8],
        remotePort: Int
    ) -> Result<UInt32?, LookupFailed> {
        let fd = socket(AF_NETLINK, Int32(SOCK_DGRAM.rawValue) | Int32(SOCK_CLOEXEC.rawValue), NETLINK_SOCK_DIAG)
        guard fd >= 0 else { return .failure(LookupFailed()) }
        defer { close(fd) }
        // A reply that never comes must not hold the loop.
        var timeout = timeval(tv_sec: 0, tv_usec: 200_000)
        setsockopt(fd, SOL_SOCKET, SO_RCVTIMEO, &timeout, socklen_t(MemoryLayout<timeval>.size))

        struct Request {
            var header = nlmsghdr()
            var body = inet_diag_req_v2()
        }
        var request = Request()
        request.header.nlmsg_len = UInt32(MemoryLayout<Request>.size)
        request.header.nlmsg_type = UInt16(SOCK_DIAG_BY_FAMILY)
        request.header.nlmsg_flags = UInt16(NLM_F_REQUEST)
        request.header.nlmsg_seq = 1
        request.body.sdiag_family = UInt8(family)
        request.body.sdiag_protocol = UInt8(IPPROTO_TCP)
        request.body.idiag_states = ~0
        request.body.id.idiag_sport = UInt16(localPort).bigEndian
        request.body.id.idiag_dport = UInt16(remotePort).bigEndian
        withUnsafeMutableBytes(of: &request.body.id.idiag_src) { $0.copyBytes(from: local) }
        withUnsafeMutableBytes(of: &request.body.id.idiag_dst) { $0.copyBytes(from: remote) }
        request.body.id.idiag_cookie = (UInt32.max, UInt32.max)  // INET_DIAG_NOCOOKIE: match by addresses

        var kernel = sockaddr_nl()
        kernel.nl_family = sa_family_t(AF_NETLINK)
        let sent = withUnsafePointer(to: &request) { requestPointer in
            withUnsafePointer(to: &kernel) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) {
                    sendto(
                        fd,
                        requestPointer,
                        MemoryLayout<Request>.size,
                        0,
                        $0,
                        socklen_t(MemoryLayout<sockaddr_nl>.size)
                    )
                }
            }
        }
        guard sent == MemoryLayout<Request>.size else { return .failure(LookupFailed()) }

        var reply = [UInt8](repeating: 0, count: 8192)
        let count = recv(fd, &reply, reply.count, 0)
        guard count >= MemoryLayout<nlmsghdr>.size else { return .failure(LookupFailed()) }
        return reply.withUnsafeBytes { raw -> Result<UInt32?, LookupFailed> in
            let header = raw.loadUnaligned(as: nlmsghdr.self)
            let payload = MemoryLayout<nlmsghdr>.size
            if header.nlmsg_type == UInt16(NLMSG_ERROR) {
                guard count >= payload + MemoryLayout<Int32>.size else { return .failure(LookupFailed()) }
                let error = raw.loadUnaligned(fromByteOffset: payload, as: Int32.self)
                return error == -ENOENT ? .success(nil) : .failure(LookupFailed())
            }
            guard header.nlmsg_type == UInt16(SOCK_DIAG_BY_FAMILY),
                count >= payload + MemoryLayout<inet_diag_msg>.size
            else { return .failure(LookupFailed()) }
            let message = raw.loadUnaligned(fromByteOffset: payload, as: inet_diag_msg.self)
            // The kernel looks the pair up as it would an arriving segment, so a listener on the local port
            // answers for any remote end: only the connection with exactly this pair counts.
            let exact =
                message.idiag_state != 10 /* TCP_LISTEN */
                && message.id.idiag_sport == request.body.id.idiag_sport
                && message.id.idiag_dport == request.body.id.idiag_dport
                && withUnsafeBytes(of: message.id.idiag_src) { Array($0.prefix(local.count)) } == local
                && withUnsafeBytes(of: message.id.idiag_dst) { Array($0.prefix(remote.count)) } == remote
            return .success(exact ? message.idiag_uid : nil)
        }
    }
}
