import Foundation

/// A logfmt line as key → value (quoted values unescaped), so tests compare whole values, not substrings.
func parseLogfmt(_ line: String) -> [String: String] {
    var fields: [String: String] = [:]
    var rest = Substring(line)
    while !rest.isEmpty {
        rest = rest.drop { $0 == " " }
        guard let equals = rest.firstIndex(of: "=") else { break }
        let key = String(rest[..<equals])
        rest = rest[rest.index(after: equals)...]
        var value = ""
        if rest.first == "\"" {
            rest = rest.dropFirst()
            var escaped = false
            while let c = rest.first {
                rest = rest.dropFirst()
                if escaped {
                    value.append(c == "n" ? "\n" : c)
                    escaped = false
                } else if c == "\\" {
                    escaped = true
                } else if c == "\"" {
                    break
                } else {
                    value.append(c)
                }
            }
        } else {
            let end = rest.firstIndex(of: " ") ?? rest.endIndex
            value = String(rest[..<end])
            rest = rest[end...]
        }
        fields[key] = value
    }
    return fields
}

extension DaemonProcess {
    /// Waits for a record whose fields include all of `expected`, and returns it.
    func waitForRecord(_ expected: [String: String], timeout: Duration = .seconds(10)) -> [String: String]? {
        let deadline = ContinuousClock.now.advanced(by: timeout)
        repeat {
            for line in self.logLines {
                let record = parseLogfmt(line)
                if expected.allSatisfy({ record[$0.key] == $0.value }) { return record }
            }
            usleep(10_000)
        } while ContinuousClock.now < deadline
        return nil
    }
}
