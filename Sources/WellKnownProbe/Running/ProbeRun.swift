import Foundation

/// `wellknownd probe`, once the command line is parsed: resolve HOST, probe every target `count` times, print,
/// and say how it went in the exit status.
public enum ProbeRun {
    /// 0: every probe ok; 1: any was not; 68 (EX_NOHOST): HOST does not resolve.
    public enum ExitStatus {
        public static let allOK: Int32 = 0
        public static let notAllOK: Int32 = 1
        public static let noHost: Int32 = 68
    }

    public static func run(
        host: String,
        family: Resolver.Family,
        targets: [ProbeTarget],
        options: ProbeOptions,
        json: Bool,
        output: (String) -> Void,
        errors: (String) -> Void
    ) -> Int32 {
        let addresses: [ProbeAddress]
        do {
            addresses = try Resolver.resolve(host, family: family)
        } catch {
            errors("wellknownd probe: \(error)")
            return ExitStatus.noHost
        }
        let prober = Prober(options: options)
        let report = ProbeReport(json: json)
        var allOK = true
        for target in targets {
            var results: [ProbeResult] = []
            for _ in 0..<options.count {
                let result = prober.probe(target, addresses: addresses)
                results.append(result)
                allOK = allOK && result.verdict.isOK
                output(report.line(result))
            }
            if options.count > 1 {
                output(report.summary(results))
            }
        }
        return allOK ? ExitStatus.allOK : ExitStatus.notAllOK
    }
}
