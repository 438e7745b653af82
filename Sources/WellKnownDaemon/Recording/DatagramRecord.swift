import NIOCore
import WellKnownLogging

/// The socket-pair line of a datagram, written field by field (see `LogRecordFields`). The server side is the
/// datagram's real destination (IP_PKTINFO, wildcard sockets) with our port, or else the bound address.
struct DatagramRecord: LogRecordFields {
    let service: String
    let client: SocketAddress
    let destination: SocketAddress?
    let localPort: Int
    let boundServer: String
    let bytesIn: Int
    let bytesOut: Int?

    func write(to fields: inout LogFieldWriter) {
        fields.string("service", self.service)
        fields.token("proto", "udp")
        fields.address("client", self.client)
        if let destination = self.destination {
            fields.address("server", destination, port: self.localPort)
        } else {
            fields.string("server", self.boundServer)
        }
        fields.int("bytes_in", self.bytesIn)
        fields.int("bytes_out", self.bytesOut ?? 0)
        fields.token("reply", self.bytesOut == nil ? "none" : "sent")
    }
}
