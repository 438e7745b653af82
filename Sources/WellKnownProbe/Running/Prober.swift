import Foundation

/// Runs the probes: for each target, one exchange per `count`, over the first address of HOST that answers (the
/// others are tried in order when one is refused or silent), each verified as its RFC defines the answer.
public struct Prober: Sendable {
    public let options: ProbeOptions
    /// The local clock, Unix seconds (injected for tests).
    let now: @Sendable () -> Double

    public init(options: ProbeOptions, now: @escaping @Sendable () -> Double = { Date().timeIntervalSince1970 }) {
        self.options = options
        self.now = now
    }

    /// Probes `target` on each of `addresses` in turn until one gives an answer (any verdict but refused or
    /// timeout), and returns the result of the last one tried.
    public func probe(_ target: ProbeTarget, addresses: [ProbeAddress]) -> ProbeResult {
        var last: ProbeResult?
        for address in addresses {
            let result = self.probe(target, at: address.withPort(target.port))
            switch result.verdict {
            case .refused, .timeout: last = result
            default: return result
            }
        }
        return last
            ?? ProbeResult(
                target: target,
                address: "?",
                local: "?",
                remote: "?",
                roundTrip: nil,
                verdict: .refused("no address to try")
            )
    }

    /// One exchange with one address.
    public func probe(_ target: ProbeTarget, at address: ProbeAddress) -> ProbeResult {
        let datagram = target.transport == .udp
        let deadline = ContinuousClock.now.advanced(by: self.options.timeout)
        let started = ContinuousClock.now
        var socket: ProbeSocket?
        var answered: ContinuousClock.Instant?
        let verdict: Verdict
        do {
            let opened = try ProbeSocket(family: address.family, datagram: datagram)
            socket = opened
            try opened.connect(to: address, until: deadline)
            verdict = try self.exchange(target, on: opened, until: deadline) { answered = $0 }
        } catch {
            verdict = self.verdict(for: error, target: target)
        }
        return ProbeResult(
            target: target,
            address: address.description,
            local: socket?.localAddress ?? "?",
            remote: address.description,
            roundTrip: answered.map { started.duration(to: $0) },
            verdict: verdict
        )
    }

    private func verdict(for error: ProbeSocket.Failure, target: ProbeTarget) -> Verdict {
        let (whole, fraction) = self.options.timeout.components
        let seconds = TimeCheck.seconds(Double(whole) + Double(fraction) / 1e18, signed: false)
        switch error {
        case .refused:
            return .refused(
                target.transport == .udp ? "ICMP port unreachable: nothing listens there" : "connection refused (RST)"
            )
        case .reset: return .reset("the connection was reset")
        case .timeout:
            return .timeout(
                target.transport == .udp
                    ? "no answer within \(seconds): filtered, lost, or not served"
                    : "no answer within \(seconds): filtered, or a server that stalls"
            )
        case .system(let message): return .refused(message)
        }
    }

    /// The service's own exchange on a connected socket. `answered`: told when the answer was complete.
    private func exchange(
        _ target: ProbeTarget,
        on socket: ProbeSocket,
        until deadline: ContinuousClock.Instant,
        answered: (ContinuousClock.Instant) -> Void
    ) throws(ProbeSocket.Failure) -> Verdict {
        let datagram = target.transport == .udp
        let size = datagram ? min(self.options.size, ProbeOptions.maximumDatagram) : self.options.size
        /// A whole answer a server sends and then closes (TCP), or one datagram (UDP), at most `limit` bytes.
        /// `request`: what a datagram carries (any datagram asks); over TCP, only what the protocol itself asks
        /// for (tcpmux's HELP) is sent: a byte the server never reads turns its close into a reset.
        func answer(
            request: [UInt8] = [],
            streamRequest: [UInt8] = [],
            limit: Int
        ) throws(ProbeSocket.Failure) -> (bytes: [UInt8], ended: Bool) {
            if datagram {
                try socket.send(request, until: deadline)
                guard case .bytes(let bytes) = try socket.receive(limit: limit, until: deadline) else {
                    return ([], true)
                }
                answered(.now)
                return (bytes, true)
            }
            if !streamRequest.isEmpty { try socket.send(streamRequest, until: deadline) }
            let received = try socket.receiveAll(limit: limit, until: deadline)
            answered(.now)
            return received
        }

        switch target.service {
        case "echo":
            let pattern = EchoCheck.pattern(size: size)
            if datagram {
                let reply = try answer(request: pattern, limit: 65536)
                return EchoCheck.verify(sent: pattern, received: reply.bytes)
            }
            let reply: (bytes: [UInt8], ended: Bool)
            do {
                reply = try socket.exchange(pattern, expect: pattern.count, until: deadline)
            } catch .timeout {
                return .timeout("nothing came back within the timeout")
            }
            answered(.now)
            let verdict = EchoCheck.verify(sent: pattern, received: reply.bytes)
            if case .wrong(let detail) = verdict, reply.bytes.count < pattern.count {
                return .wrong(detail + (reply.ended ? ", then the server closed" : " within the timeout"))
            }
            return verdict

        case "discard":
            let payload = EchoCheck.pattern(size: size)
            // Whatever the server would send back comes within moments; waiting the whole timeout adds nothing.
            let listen = min(deadline, ContinuousClock.now.advanced(by: .milliseconds(500)))
            if datagram {
                try socket.send(payload, until: deadline)
                do {
                    let back = try socket.receive(limit: 65536, until: listen)
                    answered(.now)
                    if case .bytes(let bytes) = back {
                        return TextServiceCheck.discard(sent: size, receivedBack: max(1, bytes.count), datagram: true)
                    }
                } catch .timeout {}
                return TextServiceCheck.discard(sent: size, receivedBack: 0, datagram: true)
            }
            try socket.send(payload, until: deadline)
            socket.shutdownWrite()
            answered(.now)
            let back: [UInt8]
            do {
                back = try socket.receiveAll(limit: 65536, until: listen).bytes
            } catch .timeout {
                back = []
            } catch .reset {
                back = []
            }
            return TextServiceCheck.discard(sent: size, receivedBack: back.count, datagram: false)

        case "chargen":
            if datagram {
                let reply = try answer(request: [], limit: 65536)
                return ChargenCheck.verify(reply.bytes, datagram: true)
            }
            let stream: (bytes: [UInt8], ended: Bool)
            do {
                stream = try socket.receiveAll(limit: size, until: deadline)
            } catch .timeout {
                return .timeout("no character came within the timeout")
            }
            answered(.now)
            let verdict = ChargenCheck.verify(stream.bytes, datagram: false)
            if verdict.isOK && stream.bytes.count < size {
                return .wrong("the stream ended after \(stream.bytes.count) of \(size) bytes: \(verdict.detail)")
            }
            return verdict

        case "daytime":
            let reply = try answer(request: Array("\n".utf8), limit: 1024)
            return DaytimeCheck.verify(reply.bytes, now: self.now(), maxSkew: self.options.maxSkew)

        case "time":
            let reply = try answer(request: [], limit: 8)
            if !datagram && !reply.ended && reply.bytes.count < 4 {
                return .timeout("\(reply.bytes.count) of 4 bytes within the timeout")
            }
            return TimeCheck.verify(reply.bytes, now: self.now(), maxSkew: self.options.maxSkew)

        case "qotd":
            let reply = try answer(request: Array("\n".utf8), limit: 4096)
            return TextServiceCheck.quote(reply.bytes)

        case "whoami":
            let reply = try answer(request: Array("\n".utf8), limit: 1024)
            return TextServiceCheck.whoami(
                reply.bytes,
                proto: target.transport.rawValue,
                local: socket.localAddress,
                remote: socket.remoteAddress
            )

        case "tcpmux":
            let reply = try answer(streamRequest: Array("HELP\r\n".utf8), limit: 8192)
            return TextServiceCheck.tcpmuxHelp(reply.bytes)

        case "ident":
            // A question about this very connection: port-on-server is the ident port, port-on-client ours.
            let clientPort = Int(socket.localAddress.split(separator: ":").last ?? "") ?? 0
            try socket.send(Array("\(target.port) , \(clientPort)\r\n".utf8), until: deadline)
            var reply: [UInt8] = []
            while !reply.contains(UInt8(ascii: "\n")) && reply.count < 1024 {
                guard case .bytes(let bytes) = try socket.receive(limit: 1024 - reply.count, until: deadline) else {
                    break
                }
                reply += bytes
            }
            answered(.now)
            return TextServiceCheck.ident(reply, serverPort: target.port, clientPort: clientPort)

        default:
            return .wrong("wellknownd probe does not know how to judge \(target.service)")
        }
    }
}
