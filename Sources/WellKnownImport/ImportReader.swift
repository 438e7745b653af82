import Foundation

extension ConfigurationImporter {
    /// Walks the files (following include and includedir, refusing loops), reads inetd.conf lines as they come and
    /// collects xinetd's blocks, whose defaults apply wherever they are.
    struct Reader {
        let importer: ConfigurationImporter
        var result = Result()
        var xinetdBlocks: [XinetdParser.Block] = []
        /// The files and directories being read, outermost first (a loop is one of these read again).
        private var reading: [String] = []
        private var seen: Set<String> = []

        init(importer: ConfigurationImporter) {
            self.importer = importer
        }

        mutating func read(_ path: String, from location: ImportLocation?) throws(ImportIssue) {
            let real = URL(fileURLWithPath: path).resolvingSymlinksInPath().path
            guard !self.reading.contains(real) else {
                throw ImportIssue(
                    location,
                    "include loop: \(path) is already being read (\(self.reading.joined(separator: " -> ")))"
                )
            }
            guard !self.seen.contains(real) else { return }
            self.seen.insert(real)
            var isDirectory: ObjCBool = false
            guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
                throw ImportIssue(location, "\(path): no such file or directory")
            }
            self.reading.append(real)
            defer { self.reading.removeLast() }
            if isDirectory.boolValue {
                try self.readDirectory(path, from: location)
                return
            }
            let text = try ConfigurationImporter.text(of: path, at: location)
            self.result.sources.append(path)
            if XinetdParser.looksLikeXinetd(text) {
                for item in try XinetdParser.parse(text, file: path) {
                    switch item {
                    case .block(let block): self.xinetdBlocks.append(block)
                    case .include(let file, let at): try self.read(file, from: at)
                    case .includeDirectory(let directory, let at): try self.read(directory, from: at)
                    }
                }
            } else {
                try self.readInetd(text, file: path)
            }
        }

        /// xinetd's includedir: every file of the directory, in name order, but those whose name contains a dot or
        /// ends with a tilde (editor and package manager leftovers), as xinetd itself skips them.
        private mutating func readDirectory(_ path: String, from location: ImportLocation?) throws(ImportIssue) {
            let names: [String]
            do {
                names = try FileManager.default.contentsOfDirectory(atPath: path).sorted()
            } catch {
                throw ImportIssue(location, "\(path): the directory cannot be read")
            }
            for name in names where !name.contains(".") && !name.hasSuffix("~") {
                try self.read((path as NSString).appendingPathComponent(name), from: location)
            }
        }

        mutating func note(_ location: ImportLocation?, _ message: String) {
            self.result.notes.append(ImportIssue(location, message))
        }
    }
}
