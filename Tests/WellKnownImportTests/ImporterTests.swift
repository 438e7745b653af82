import Foundation
import Testing

@testable import WellKnownImport

/// A directory of the test's own files, removed afterwards.
final class Fixture {
    let path: String

    init() throws {
        self.path = NSTemporaryDirectory() + "wellknownd-import-\(UUID().uuidString)"
        try FileManager.default.createDirectory(atPath: self.path, withIntermediateDirectories: true)
    }

    deinit {
        try? FileManager.default.removeItem(atPath: self.path)
    }

    @discardableResult
    func write(_ name: String, _ text: String) throws -> String {
        let file = (self.path as NSString).appendingPathComponent(name)
        try FileManager.default.createDirectory(
            atPath: (file as NSString).deletingLastPathComponent,
            withIntermediateDirectories: true
        )
        try text.write(toFile: file, atomically: true, encoding: .utf8)
        return file
    }
}

let services = ServicesFile(
    text: """
        tcpmux		1/tcp				# TCP port service multiplexer
        echo		7/tcp
        echo		7/udp
        discard		9/tcp		sink null
        discard		9/udp		sink null
        daytime		13/tcp
        daytime		13/udp
        chargen		19/tcp		ttytst source
        chargen		19/udp		ttytst source
        time		37/tcp		timserver
        time		37/udp		timserver
        auth		113/tcp		authentication tap ident
        """
)

func run(_ paths: [String], includeDisabled: Bool = false) throws(ImportIssue) -> ConfigurationImporter.Result {
    try ConfigurationImporter(services: services, includeDisabled: includeDisabled).run(paths: paths)
}

func issue(_ paths: [String]) -> String {
    do {
        _ = try run(paths)
        Issue.record("expected the import to fail")
        return ""
    } catch {
        return error.description
    }
}

@Suite struct XinetdImportTests {
    @Test func everyCarriedAttribute() throws {
        let fixture = try Fixture()
        let file = try fixture.write(
            "xinetd.conf",
            """
            defaults
            {
                only_from   = 10.0.0.0/8
                per_source  = 8
                cps         = 25 30
            }

            service daytime
            {
                type        = INTERNAL
                id          = daytime-stream
                socket_type = stream
                protocol    = tcp
                user        = root
                wait        = no
                bind        = 192.0.2.1
                only_from  += 192.168.1.0/24
                no_access   = 10.1.0.0/16
                instances   = 50
            }

            service daytime
            {
                type        = INTERNAL
                id          = daytime-dgram
                socket_type = dgram
                wait        = yes
                port        = 6013
                flags       = IPv6
                per_source  = 4
            }
            """
        )
        let result = try run([file])
        #expect(result.entries.count == 2)
        let tcp = try #require(result.entries.first)
        #expect(tcp.service == "daytime")
        #expect(tcp.transport == .tcp)
        #expect(tcp.port == 13)
        #expect(tcp.addresses == ["192.0.2.1"])
        #expect(tcp.allow == ["10.0.0.0/8", "192.168.1.0/24"], "+= adds to the defaults")
        #expect(tcp.deny == ["10.1.0.0/16"])
        #expect(tcp.maximumConnections == 50)
        #expect(tcp.location == ImportLocation(file: file, line: 8))
        let udp = result.entries[1]
        #expect(udp.transport == .udp)
        #expect(udp.port == 6013)
        #expect(udp.addresses == ["::"], "flags = IPv6")
        #expect(udp.allow == ["10.0.0.0/8"], "the defaults' only_from")
        #expect(result.perSourceConnections == 4, "the smallest per_source")
        #expect(result.perSourceAcceptRate == 25)
        #expect(result.notes.isEmpty, "user, group and wait are dropped quietly: \(result.notes)")
    }

    @Test func streamAndDgramOfOneServiceBecomeOneEntry() throws {
        let fixture = try Fixture()
        let file = try fixture.write(
            "echo",
            """
            service echo
            {
                type = INTERNAL
                id = echo-stream
                socket_type = stream
            }
            service echo
            {
                type = INTERNAL UNLISTED
                id = echo-dgram
                socket_type = dgram
                port = 7
            }
            """
        )
        let result = try run([file])
        #expect(result.entries.count == 1)
        #expect(result.entries.first?.bothTransports == true)
        #expect(result.entries.first?.addresses == ["0.0.0.0"], "xinetd listens on every interface by default")
        let yaml = ImportedConfiguration.yaml(result)
        #expect(yaml.contains("  - service: echo\n    port: 7\n    transport: both\n    bind: [\"0.0.0.0\"]\n"))
    }

    @Test func whatCannotBeCarriedBecomesANoteWithItsLine() throws {
        let fixture = try Fixture()
        let file = try fixture.write(
            "services",
            """
            service telnet
            {
                socket_type = stream
                server      = /usr/sbin/in.telnetd
                wait        = no
            }
            service rstatd
            {
                type        = RPC
                socket_type = dgram
            }
            service chargen
            {
                type         = INTERNAL
                id           = chargen-stream
                socket_type  = stream
                access_times = 08:00-17:00
                banner       = /etc/banner
                redirect     = 192.0.2.9 19
                only_from    = trusted.example.org 127.0.0.1
            }
            """
        )
        let result = try run([file])
        #expect(result.entries.map(\.service) == ["chargen"])
        #expect(result.entries.first?.allow == ["127.0.0.1"])
        let notes = result.notes.map(\.description)
        #expect(
            notes.contains(
                "\(file):1: service telnet (/usr/sbin/in.telnetd): not a built-in service: use a systemd .socket with Accept=yes"
            )
        )
        #expect(notes.contains("\(file):7: service rstatd: RPC services are not carried"))
        #expect(notes.contains("\(file):17: access_times: not carried: wellknownd has no time-of-day access"))
        #expect(notes.contains("\(file):18: banner: not carried: wellknownd sends no banners"))
        #expect(notes.contains("\(file):19: redirect: not carried: wellknownd does not forward connections"))
        #expect(
            notes.contains {
                $0.hasPrefix("\(file):12: service chargen: only_from trusted.example.org is not a numeric network")
            }
        )
        let yaml = ImportedConfiguration.yaml(result)
        #expect(yaml.contains("#   \(file):1: service telnet (/usr/sbin/in.telnetd): not a built-in service"))
    }

    @Test func disabledServicesAreSkippedUnlessAskedFor() throws {
        let fixture = try Fixture()
        let file = try fixture.write(
            "time",
            "service time\n{\n\tdisable = yes\n\ttype = INTERNAL\n\tid = time-stream\n\tsocket_type = stream\n}\n"
        )
        let skipped = try run([file])
        #expect(skipped.entries.isEmpty)
        #expect(skipped.notes.map(\.description) == ["\(file):1: service time (time-stream) is disabled: not imported"])
        let result = try run([file], includeDisabled: true)
        #expect(result.entries.map(\.port) == [37])
    }

    @Test func includeAndIncludedirSkipDottedNamesAndRefuseLoops() throws {
        let fixture = try Fixture()
        let service = "service echo\n{\n type = INTERNAL\n id = echo-stream\n socket_type = stream\n}\n"
        try fixture.write("xinetd.d/echo", service)
        try fixture.write("xinetd.d/echo.dpkg-old", "this is not xinetd syntax at all {")
        try fixture.write("xinetd.d/echo~", "nor this")
        let main = try fixture.write("xinetd.conf", "defaults\n{\n}\nincludedir \(fixture.path)/xinetd.d\n")
        let result = try run([main])
        #expect(result.entries.count == 1)
        #expect(result.sources == [main, "\(fixture.path)/xinetd.d/echo"])

        let loop = try fixture.write("loop.conf", "include \(fixture.path)/loop2.conf\n")
        try fixture.write("loop2.conf", "include \(fixture.path)/loop.conf\n")
        #expect(
            issue([loop]).hasPrefix(
                "\(fixture.path)/loop2.conf:1: include loop: \(fixture.path)/loop.conf is already being read"
            )
        )
        let missing = try fixture.write("missing.conf", "includedir /nonexistent/xinetd.d\n")
        #expect(issue([missing]) == "\(missing):1: /nonexistent/xinetd.d: no such file or directory")
    }

    @Test(arguments: [
        ("service echo\n{\n  type = INTERNAL\n  colour = blue\n}\n", "4: unknown attribute 'colour'"),
        ("service echo\n{\n  type = INTERNAL\n", "1: service echo is not closed with }"),
        ("service echo\n  type = INTERNAL\n", "2: expected { to open service echo"),
        ("service echo\n{\n  type INTERNAL\n}\n", "3: expected attribute = value, found 'type INTERNAL'"),
        (
            "service echo\n{\n type = INTERNAL\n socket_type = stream\n protocol = udp\n}\n",
            "1: service echo: protocol udp does not go with socket_type stream"
        ),
        (
            "service echo\n{\n type = INTERNAL\n socket_type = stream\n instances = many\n}\n",
            "1: service echo: instances many is not a number or UNLIMITED"
        ),
    ])
    func faultsArePositioned(text: String, expected: String) throws {
        let fixture = try Fixture()
        let file = try fixture.write("bad", text)
        let message = issue([file])
        #expect(message.hasPrefix("\(file):\(expected.split(separator: ":").first ?? ""):"), "\(message)")
        #expect(message.hasSuffix(String(expected.drop { $0 != " " }.dropFirst())), "\(message)")
    }
}

@Suite struct InetdImportTests {
    @Test func openBSDFreeBSDAndInetutilsLines() throws {
        let fixture = try Fixture()
        let file = try fixture.write(
            "inetd.conf",
            """
            # An inetd.conf with every form of the first field.
            #:INTERNAL: Internal services
            #discard		stream	tcp	nowait	root	internal
            echo		stream	tcp	nowait	root	internal
            echo		dgram	udp	wait	root	internal
            [::1]:daytime	stream	tcp6	nowait	root	internal
            127.0.0.1:time	dgram	udp	wait	root	internal
            192.0.2.7:
            chargen		stream	tcp	nowait.400	nobody:nogroup	internal
            *:
            auth		stream	tcp	nowait	root	internal
            telnet		stream	tcp	nowait	root	/usr/sbin/tcpd	/usr/sbin/in.telnetd
            rstatd/1-3	dgram	rpc/udp	wait	root	/usr/sbin/rpc.rstatd	rpc.rstatd
            discard		stream	tcp46	nowait	root	internal
            """
        )
        let result = try run([file])
        let summary = result.entries.map {
            "\($0.service)/\($0.bothTransports ? "both" : $0.transport.rawValue) \($0.addresses) \($0.port)"
        }
        #expect(
            summary == [
                "echo/both [\"0.0.0.0\"] 7", "daytime/tcp [\"::1\"] 13", "time/udp [\"127.0.0.1\"] 37",
                "chargen/tcp [\"192.0.2.7\"] 19", "ident/tcp [\"0.0.0.0\"] 113", "discard/tcp [\"::\"] 9",
            ]
        )
        let notes = result.notes.map(\.description)
        #expect(
            notes.contains(
                "\(file):12: telnet/tcp (/usr/sbin/tcpd): not a built-in service: use a systemd .socket with Accept=yes"
            )
        )
        #expect(notes.contains("\(file):13: rstatd/1-3: RPC services are not carried"))
        #expect(notes.contains { $0.hasPrefix("\(file):9: chargen/tcp: the rate and child limits of 'nowait.400'") })
    }

    @Test func aShortLineOrAnUnknownProtocolIsAFault() throws {
        let fixture = try Fixture()
        let short = try fixture.write("short.conf", "echo stream tcp nowait root\n")
        #expect(
            issue([short])
                == "\(short):1: expected: service socket-type protocol wait user server [arguments], found 5 fields"
        )
        let sctp = try fixture.write("sctp.conf", "echo stream sctp nowait root internal\n")
        #expect(issue([sctp]).hasPrefix("\(sctp):1: unknown protocol sctp"))
        let noPort = try fixture.write("noport.conf", "qotd stream tcp nowait root internal\n")
        let qotd = try run([noPort])
        #expect(qotd.entries.isEmpty, "qotd is not an inetd internal: a note, and nothing to serve")
        #expect(
            qotd.notes.first?.description == "\(noPort):1: qotd/tcp: inetd's internal qotd is not a wellknownd built-in"
        )
    }

    @Test func theYAMLCarriesTheLimitsAndTheNotes() throws {
        let fixture = try Fixture()
        let file = try fixture.write(
            "x",
            "service echo\n{\n type = INTERNAL\n id = echo-stream\n socket_type = stream\n per_source = 5\n cps = 50 10\n instances = UNLIMITED\n}\n"
        )
        let yaml = ImportedConfiguration.yaml(try run([file]))
        #expect(yaml.contains("limits:\n  per-source-connections: 5 "))
        #expect(yaml.contains("  per-source-accept-rate: 50 "))
        #expect(!yaml.contains("max-connections"))
    }
}
