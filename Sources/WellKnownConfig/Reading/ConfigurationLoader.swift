// Reads wellknownd's YAML configuration. Each section's keys are one list, next to the type they fill (hummingbird's
// `Type+ConfigReader.swift`): `Configuration.configurationKeys` (the top level), `ServiceEntry.configurationKeys`
// (an entry of `services:`), `ConnectionLimits.configurationKeys` (`limits:`), `UDPGuardConfiguration.
// configurationKeys` (`udp-guard:`), `MetricsConfiguration.configurationKeys` (`metrics:`). The lists drive the parsing, the unknown-key errors and their suggestions; the
// README's Configuration section is the reference for people, and a test checks that it names every key.
//
// Every problem is reported with its position, all of them at once, and nothing of a bad file is used.

public struct ConfigurationLoader: Sendable {
    public let schema: ConfigurationSchema

    public init(schema: ConfigurationSchema) {
        self.schema = schema
    }

    public func load(path: String) throws(ConfigurationErrors) -> Configuration {
        let text: String
        do {
            text = try ConfigurationFile.read(path: path)
        } catch {
            throw ConfigurationErrors([error])
        }
        return try self.parse(text, source: path)
    }

    public func parse(_ text: String, source: String) throws(ConfigurationErrors) -> Configuration {
        var reader = ConfigurationReader(source: source, schema: self.schema)
        let configuration = reader.read(text)
        guard reader.errors.isEmpty, let configuration else {
            throw ConfigurationErrors(reader.errors)
        }
        return configuration
    }
}
