import ArgumentParser
import Foundation
import WellKnownImport

struct Import: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Turn xinetd or inetd configuration into a wellknownd YAML.",
        discussion: """
            Reads xinetd.conf files (defaults, service blocks, include and includedir) and directories such as \
            /etc/xinetd.d, and inetd.conf files (OpenBSD, FreeBSD and inetutils syntax), and writes a \
            configuration that wellknownd check accepts. What cannot be carried over (external servers, RPC, \
            access_times, redirect, banners) becomes a comment in the output and a FILE:LINE line on standard \
            error. A syntax error, an unknown attribute, an unreadable file or an include loop stops the import \
            with exit status 65 and writes nothing. Examples:
              wellknownd import /etc/xinetd.conf --output /etc/wellknownd/wellknownd.yaml
              wellknownd import /etc/inetd.conf
            """
    )

    @Option(name: [.short, .long], help: "Where to write the YAML (atomically); standard output by default.")
    var output: String?

    @Option(help: "The services file that names ports.")
    var services: String = "/etc/services"

    @Flag(help: "Import services marked disable = yes too (Debian ships every xinetd built-in disabled).")
    var includeDisabled = false

    @Argument(help: "xinetd.conf or inetd.conf files, or directories of xinetd service files.")
    var paths: [String]

    func validate() throws {
        guard !self.paths.isEmpty else { throw ValidationError("give at least one file or directory to import") }
    }

    /// EX_DATAERR (sysexits.h): the input was wrong.
    static let dataError: Int32 = 65

    func run() throws {
        let standardError = FileHandle.standardError
        do {
            let servicesText = (try? String(contentsOfFile: self.services, encoding: .utf8)) ?? ""
            if servicesText.isEmpty {
                standardError.write(
                    Data("wellknownd import: \(self.services) cannot be read: ports must be numbers\n".utf8)
                )
            }
            let importer = ConfigurationImporter(
                services: ServicesFile(text: servicesText),
                includeDisabled: self.includeDisabled
            )
            let result = try importer.run(paths: self.paths)
            for note in result.notes {
                standardError.write(Data("\(note)\n".utf8))
            }
            guard !result.entries.isEmpty else {
                throw importer.nothingToServe(in: self.paths)
            }
            let yaml = ImportedConfiguration.yaml(result)
            guard let output = self.output else {
                FileHandle.standardOutput.write(Data(yaml.utf8))
                return
            }
            // Written beside the target and renamed over it: a reader never sees half a file.
            do {
                try Data(yaml.utf8).write(to: URL(fileURLWithPath: output), options: .atomic)
            } catch {
                standardError.write(Data("wellknownd import: \(output): \(error.localizedDescription)\n".utf8))
                throw ExitCode(Self.dataError)
            }
        } catch let issue as ImportIssue {
            standardError.write(Data("\(issue)\n".utf8))
            throw ExitCode(Self.dataError)
        }
    }
}
