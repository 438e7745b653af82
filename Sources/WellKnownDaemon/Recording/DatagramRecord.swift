import Logging
import NIOCore
import WellKnownLogging

/// The socket-pair line of a datagram, written field by field (see `LogRecordFields`). The server side is the
/// datagram's real destination (IP_PKTINFO, wildcard sockets) with our port, or else the bound address.
///
/// The pieces that are the same on every line of a socket (`writeLead`, `writeBoundServer`, the keys, `writeReply`)
/// are functions of their own, so that `DatagramLine` formats exactly these once and the line stays the same.
struct DatagramRecord: LogRecordFields {
    static let message: Logger.Message = "datagram"

    let service: String
    let client: SocketAddress
    let destination: SocketAddress?
    let localPort: Int
    let boundServer: String
    let bytesIn: Int
    let bytesOut: Int?

    func write(to fields: inout LogFieldWriter) {
        Self.writeLead(service: self.service, to: &fields)
        fields.addressValue(self.client)
        if let destination = self.destination {
            fields.key("server")
            fields.addressValue(destination, port: self.localPort)
            fields.key("bytes_in")
        } else {
            Self.writeBoundServer(self.boundServer, to: &fields)
        }
        fields.intValue(self.bytesIn)
        fields.key("bytes_out")
        fields.intValue(self.bytesOut ?? 0)
        Self.writeReply(sent: self.bytesOut != nil, to: &fields)
    }

    /// `service=… proto=udp client=`, up to the client's address.
    static func writeLead(service: String, to fields: inout LogFieldWriter) {
        fields.string("service", service)
        fields.token("proto", "udp")
        fields.key("client")
    }

    /// `server=…` for a socket that knows no datagram's destination, and the key of the request's size.
    static func writeBoundServer(_ server: String, to fields: inout LogFieldWriter) {
        fields.string("server", server)
        fields.key("bytes_in")
    }

    static func writeReply(sent: Bool, to fields: inout LogFieldWriter) {
        fields.token("reply", sent ? "sent" : "none")
    }
}
