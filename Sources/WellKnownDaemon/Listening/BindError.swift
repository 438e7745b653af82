import NIOCore
import NIOPosix
import WellKnownConfig

/// A socket the daemon could not open, with the listener it was for.
public struct BindError: Error, CustomStringConvertible {
    public let listener: Listener
    public let cause: any Error

    public var description: String {
        let reason: String
        if let io = cause as? IOError {
            reason = "\(String(cString: strerror(io.errnoCode))) (errno \(io.errnoCode))"
        } else {
            reason = "\(cause)"
        }
        return "cannot listen on \(listener.transport.rawValue) \(listener.address) "
            + "for \(listener.service): \(reason)"
    }
}
