/// One socket the configuration asks for.
public struct Listener: Sendable, Hashable, CustomStringConvertible {
    public var service: String
    public var transport: Transport
    public var address: ListenAddress
    /// The `services` entry it comes from.
    public var entryIndex: Int

    public init(service: String, transport: Transport, address: ListenAddress, entryIndex: Int) {
        self.service = service
        self.transport = transport
        self.address = address
        self.entryIndex = entryIndex
    }

    /// `daytime/tcp 127.0.0.1:6013`, `echo/tcp /run/wellknownd/echo.sock`
    public var description: String {
        "\(self.service)/\(self.transport.rawValue) \(self.address)"
    }
}
