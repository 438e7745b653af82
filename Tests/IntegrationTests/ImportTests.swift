import Foundation
import Testing

/// `wellknownd import` on the configurations Debian's xinetd package ships, and on inetd.conf: the output is a
/// configuration `wellknownd check` accepts; bad input is exit status 65 and no output.
@Suite struct ImportTests {
    static let services = """
        echo 7/tcp\necho 7/udp\ndiscard 9/tcp sink null\ndiscard 9/udp sink null\ndaytime 13/tcp\ndaytime 13/udp
        chargen 19/tcp ttytst source\nchargen 19/udp ttytst source\ntime 37/tcp timserver\ntime 37/udp timserver
        auth 113/tcp ident\n
        """

    /// Debian's xinetd package, unpacked (never installed) into .build, once.
    static func xinetdPackage() throws -> String {
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build/import-fixtures/xinetd").path
        if FileManager.default.fileExists(atPath: root + "/etc/xinetd.d/echo") { return root }
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
        // A fresh machine may have no package lists yet: fetched once if the download needs them.
        let script =
            "cd \"$0\" && { apt-get download xinetd >/dev/null 2>&1 || { apt-get update -qq >/dev/null 2>&1 && "
            + "apt-get download xinetd >/dev/null 2>&1; }; } && dpkg-deb -x xinetd_*.deb . && rm -f xinetd_*.deb"
        let unpack = try Subprocess("/bin/sh", ["-c", script, root])
        guard unpack.waitForExit(timeout: .seconds(120)) == 0 else {
            throw TestFailure("could not download and unpack Debian's xinetd: \(unpack.stderr)")
        }
        return root
    }

    @Test(.enabled(if: FileManager.default.isExecutableFile(atPath: "/usr/bin/apt-get"), "needs apt-get"))
    func debiansXinetdConfigurationImportsAndChecks() throws {
        let package = try Self.xinetdPackage()
        let directory = try TemporaryDirectory()
        let servicesFile = try directory.write("services", Self.services)
        let output = directory.path + "/imported.yaml"

        // Debian ships every built-in disabled: nothing to serve, and each one said.
        let disabled = try runToCompletion(["import", "--services", servicesFile, package + "/etc/xinetd.d"])
        #expect(disabled.status == 65)
        #expect(disabled.stderr.contains("\(package)/etc/xinetd.d/echo:5: service echo (echo-stream) is disabled"))
        #expect(disabled.stderr.contains("nothing to serve"))

        let imported = try runToCompletion([
            "import", "--include-disabled", "--services", servicesFile, "--output", output, package + "/etc/xinetd.d",
        ])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(imported.stderr.contains("/etc/xinetd.d/servers:"), "xinetd's own `servers` is not a built-in here")
        let yaml = try String(contentsOfFile: output, encoding: .utf8)
        #expect(yaml.contains("  - service: chargen\n    port: 19\n    transport: both\n    bind: [\"0.0.0.0\"]\n"))
        let check = try runToCompletion(["check", "--config", output])
        #expect(check.status == 0, "\(check.stderr)\n\(yaml)")
        #expect(check.stdout.hasPrefix("\(output): OK, 10 listeners\n"), "\(check.stdout)")
        #expect(check.stdout.contains("echo     udp  0.0.0.0:7"))

        // xinetd.conf includes /etc/xinetd.d itself, which this machine does not have.
        if !FileManager.default.fileExists(atPath: "/etc/xinetd.d") {
            let conf = try runToCompletion(["import", "--services", servicesFile, package + "/etc/xinetd.conf"])
            #expect(conf.status == 65)
            #expect(conf.stderr.contains("xinetd.conf:14: /etc/xinetd.d: no such file or directory"), "\(conf.stderr)")
        }
    }

    @Test func inetdConfImportsAndChecks() throws {
        let directory = try TemporaryDirectory()
        let servicesFile = try directory.write("services", Self.services)
        let inetd = try directory.write(
            "inetd.conf",
            """
            #:INTERNAL: Internal services
            echo		stream	tcp	nowait	root	internal
            echo		dgram	udp	wait	root	internal
            [::1]:daytime	stream	tcp6	nowait	root	internal
            time		stream	tcp46	nowait	root	internal
            #:STANDARD: These are standard services.
            telnet		stream	tcp	nowait	telnetd	/usr/sbin/tcpd	/usr/sbin/in.telnetd
            """
        )
        let output = directory.path + "/imported.yaml"
        let imported = try runToCompletion(["import", "--services", servicesFile, "-o", output, inetd])
        #expect(imported.status == 0, "\(imported.stderr)")
        #expect(
            imported.stderr
                == "\(inetd):7: telnet/tcp (/usr/sbin/tcpd): not a built-in service: use a systemd .socket with Accept=yes\n"
        )
        let check = try runToCompletion(["check", "--config", output])
        #expect(check.status == 0, "\(check.stderr)")
        #expect(check.stdout.contains("daytime  tcp  [::1]:13"))
        #expect(check.stdout.contains("time     tcp  [::]:37"))
        #expect(try String(contentsOfFile: output, encoding: .utf8).contains("#   \(inetd):7: telnet/tcp"))
    }

    @Test func badInputIsExit65AndLeavesTheOutputAlone() throws {
        let directory = try TemporaryDirectory()
        let output = try directory.write("existing.yaml", "services: [{service: echo, port: 7007}]\n")
        let bad = try directory.write("bad.conf", "service echo\n{\n  type = INTERNAL\n  colour = blue\n}\n")
        let result = try runToCompletion(["import", "--output", output, bad])
        #expect(result.status == 65)
        #expect(result.stderr.contains("\(bad):4: unknown attribute 'colour'"))
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "services: [{service: echo, port: 7007}]\n")
        let fresh = directory.path + "/fresh.yaml"
        #expect(try runToCompletion(["import", "--output", fresh, directory.path + "/nothing-here"]).status == 65)
        #expect(!FileManager.default.fileExists(atPath: fresh))
        #expect(try runToCompletion(["import"]).status == 64)
    }
}
