import NIOCore
import Testing
import WellKnownCalendar

@testable import WellKnownDaemon
@testable import WellKnownLogging

/// A socket's line template writes what the formatter writes for the same `DatagramRecord`, byte for byte, in
/// every format and for every kind of address: the template is only a faster way to the same line.
@Suite struct DatagramLineTests {
    static let time = WallClockTime(secondsSinceEpoch: 1_795_565_088, nanoseconds: 7_000_000)

    static func address(_ ip: String, _ port: Int) -> SocketAddress? {
        try? SocketAddress(ipAddress: ip, port: port)
    }

    struct Case {
        let service: String
        let bound: String
        let client: SocketAddress?
        let destination: SocketAddress?
        let bytesIn: Int
        let bytesOut: Int?
    }

    static let clients = [
        address("127.0.0.1", 5), address("::ffff:198.51.100.7", 40001), address("::1", 65535),
        address("2001:db8::1", 1234),
    ]

    static let cases: [Case] = {
        let clients = Self.clients
        let destinations = [nil, address("127.0.0.2", 0), address("::1", 0), address("::ffff:192.0.2.1", 0)]
        var cases: [Case] = []
        for client in clients {
            for destination in destinations {
                for (bytesIn, bytesOut) in [(0, nil), (32, 32), (65507, 0), (1_000_000, 12_345_678)] as [(Int, Int?)] {
                    cases.append(
                        Case(
                            service: "echo",
                            bound: "127.0.0.1:6007",
                            client: client,
                            destination: destination,
                            bytesIn: bytesIn,
                            bytesOut: bytesOut
                        )
                    )
                }
            }
        }
        // Constant pieces that need quoting and escaping, formatted once, as the formatter does every time.
        cases.append(
            Case(
                service: "an \"odd\"=name",
                bound: "?",
                client: clients[0],
                destination: nil,
                bytesIn: 1,
                bytesOut: nil
            )
        )
        cases.append(
            Case(service: "time", bound: "[::]:37", client: clients[2], destination: nil, bytesIn: 0, bytesOut: 4)
        )
        return cases
    }()

    static func formatterLine(_ c: Case, client: SocketAddress, format: LogFormat, journal: Bool) -> [UInt8] {
        var out = LogBytes()
        LogLineFormatter.formatLine(
            level: .info,
            message: "datagram",
            metadata: [:],
            record: DatagramRecord(
                service: c.service,
                client: client,
                destination: c.destination,
                localPort: 6007,
                boundServer: c.bound,
                bytesIn: c.bytesIn,
                bytesOut: c.bytesOut
            ),
            format: format,
            journal: journal,
            time: journal ? nil : Self.time,
            into: &out
        )
        return out.bytes
    }

    @Test(arguments: LogFormat.allCases, [false, true])
    func theTemplateWritesTheFormattersLine(format: LogFormat, journal: Bool) throws {
        var templates: [String: DatagramLine] = [:]
        for c in Self.cases {
            let client = try #require(c.client)
            let key = c.service + "|" + c.bound
            let template =
                templates[key]
                ?? DatagramLine(
                    format: format,
                    journal: journal,
                    service: c.service,
                    localPort: 6007,
                    boundServer: c.bound,
                    now: { Self.time }
                )
            templates[key] = template
            let out = LogBytes()
            // Twice into one buffer: a burst's lines follow one another, and the template keeps nothing of the
            // last line but its second's timestamp and, within a run of one client, its client field: the second
            // line copies it.
            let run = UInt64(try #require(Self.clients.firstIndex(of: client))) + 1
            for _ in 0..<2 {
                template.append(
                    client: client,
                    clientRun: run,
                    destination: c.destination,
                    bytesIn: c.bytesIn,
                    bytesOut: c.bytesOut,
                    to: out
                )
            }
            let expected = Self.formatterLine(c, client: client, format: format, journal: journal)
            #expect(
                String(decoding: out.bytes, as: UTF8.self) == String(decoding: expected + expected, as: UTF8.self)
            )
        }
    }

    /// An echo socket's template on port 7, text format, stamped at `time`.
    static func textEchoTemplate(boundServer: String) -> DatagramLine {
        DatagramLine(
            format: .text,
            journal: false,
            service: "echo",
            localPort: 7,
            boundServer: boundServer,
            now: { Self.time }
        )
    }

    /// The lines of one run of datagrams (`DatagramBatch.sourceRun(of:)`) share the client field written for its
    /// first; a new run, or a line with no run, has its client formatted afresh.
    @Test func aRunsLinesShareTheClientFieldOfItsFirst() throws {
        let template = Self.textEchoTemplate(boundServer: "127.0.0.1:7")
        let first = try #require(Self.address("198.51.100.7", 40001))
        let second = try #require(Self.address("203.0.113.9", 50002))
        func client(_ client: SocketAddress, run: UInt64?) -> String {
            let out = LogBytes()
            template.append(client: client, clientRun: run, destination: nil, bytesIn: 1, bytesOut: 1, to: out)
            let line = String(decoding: out.bytes, as: UTF8.self)
            return line.split(separator: " ").first { $0.hasPrefix("client=") }.map(String.init) ?? line
        }
        #expect(client(first, run: 5) == "client=198.51.100.7:40001")
        // The run vouches for the client: within it the field is copied, not formatted.
        #expect(client(second, run: 5) == "client=198.51.100.7:40001")
        #expect(client(second, run: 6) == "client=203.0.113.9:50002")
        #expect(client(first, run: nil) == "client=198.51.100.7:40001")
        #expect(client(second, run: nil) == "client=203.0.113.9:50002", "no run is no run: nothing is copied")
        #expect(client(first, run: 6) == "client=198.51.100.7:40001", "a line with no run ends the one it interrupted")
    }

    /// The line itself, so that a change made to both the record and the template alike still shows.
    @Test func aWildcardSocketsLineNamesTheDestination() throws {
        let template = Self.textEchoTemplate(boundServer: "[::]:7")
        let out = LogBytes()
        template.append(
            client: try #require(Self.address("::ffff:198.51.100.7", 40001)),
            destination: Self.address("::ffff:192.0.2.1", 0),
            bytesIn: 3,
            bytesOut: nil,
            to: out
        )
        #expect(
            String(decoding: out.bytes, as: UTF8.self)
                == "ts=2026-11-25T00:04:48.007Z level=info msg=datagram service=echo proto=udp client=198.51.100.7:40001 server=192.0.2.1:7 bytes_in=3 bytes_out=0 reply=none\n"
        )
    }

    /// A `DatagramLoop` reads the clock once per burst: a line given that time carries it, whatever its own clock
    /// says by the time the line is written.
    @Test func aLineGivenItsBurstsTimeIsStampedWithIt() throws {
        let template = Self.textEchoTemplate(boundServer: "127.0.0.1:7")
        #expect(template.time() == Self.time)
        let burst = WallClockTime(secondsSinceEpoch: Self.time.secondsSinceEpoch - 61, nanoseconds: 999_000_000)
        let out = LogBytes()
        template.append(
            client: try #require(Self.address("198.51.100.7", 40001)),
            destination: nil,
            bytesIn: 3,
            bytesOut: 3,
            at: burst,
            to: out
        )
        #expect(String(decoding: out.bytes, as: UTF8.self).hasPrefix("ts=2026-11-25T00:03:47.999Z level=info"))
    }
}
