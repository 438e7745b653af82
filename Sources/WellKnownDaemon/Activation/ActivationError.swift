/// Socket activation that cannot be served: the message names the fd, its name, type and address.
struct ActivationError: Error, CustomStringConvertible {
    let description: String

    init(_ description: String) {
        self.description = description
    }
}
