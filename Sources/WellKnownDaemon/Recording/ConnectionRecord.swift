import NIOCore
import WellKnownLogging

#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The socket-pair line of a TCP connection, written field by field (see `LogRecordFields`).
struct ConnectionRecord: LogRecordFields {
    let service: String
    let client: SocketAddress?
    let server: SocketAddress?
    let duration: TimeAmount
    let bytesIn: Int
    let bytesOut: Int
    let end: ConnectionEnd
    let peerCredentials: PeerCredentials?
    let error: String?
    /// tcpmux: the service the connection was handed to.
    var became: String? = nil

    func write(to fields: inout LogFieldWriter) {
        fields.string("service", self.service)
        fields.token("proto", "tcp")
        if let client = self.client, client.isUnix {
            fields.token("client", "unix")
        } else {
            fields.address("client", self.client)
        }
        fields.address("server", self.server)
        fields.seconds("duration", self.duration)
        fields.int("bytes_in", self.bytesIn)
        fields.int("bytes_out", self.bytesOut)
        fields.token("end", self.end.rawValue)
        if let became = self.became {
            fields.token("became", became)
        }
        if let error = self.error {
            fields.string("error", error)
        }
        if let credentials = self.peerCredentials {
            fields.int("peer_gid", Int(credentials.gid))
            fields.int("peer_pid", Int(credentials.pid))
            fields.int("peer_uid", Int(credentials.uid))
        }
    }
}
