import WellKnownConfig
import WellKnownServices

/// Joins the service table to the configuration: the schema the loader checks files against, and the step that
/// turns each checked entry into a running service. Nothing here knows any particular service.
public enum ServiceTable {
    public static var schema: ConfigurationSchema {
        ConfigurationSchema(
            services: ServiceCatalog.all.map { descriptor in
                ConfigurationSchema.Service(
                    name: descriptor.name,
                    options: Dictionary(uniqueKeysWithValues: descriptor.options.map { ($0.key, $0.allowedValues) })
                )
            }
        )
    }

    /// Loads and checks a configuration file completely: syntax, keys, values, overlaps, and the options only a
    /// service can judge (an unknown time zone). Either every entry has its service instance, or every problem
    /// is reported with its position.
    public static func load(
        path: String,
        environment: ServiceEnvironment
    ) throws(ConfigurationErrors) -> PreparedConfiguration {
        let configuration = try ConfigurationLoader(schema: Self.schema).load(path: path)
        return try Self.prepare(configuration, environment: environment)
    }

    public static func prepare(
        _ configuration: Configuration,
        environment: ServiceEnvironment
    ) throws(ConfigurationErrors) -> PreparedConfiguration {
        var instances: [Int: ServiceInstance] = [:]
        var errors: [ConfigurationError] = []
        for entry in configuration.services {
            guard let descriptor = ServiceCatalog.descriptor(named: entry.service) else {
                errors.append(
                    ConfigurationError(location: entry.location, keyPath: entry.keyPath, message: "unknown service")
                )
                continue
            }
            let options = ServiceOptions(entry.options.mapValues(\.value))
            do {
                instances[entry.index] = try descriptor.makeInstance(options: options, environment: environment)
            } catch {
                errors.append(
                    ConfigurationError(
                        location: entry.options[error.key]?.location ?? entry.location,
                        keyPath: "\(entry.keyPath).\(error.key)",
                        message: error.message
                    )
                )
            }
        }
        var identity = ServingIdentity.root
        switch Privileges.identity(for: configuration.runAs) {
        case .success(let found): identity = found
        case .failure(let problems): errors += problems.errors
        }
        guard errors.isEmpty else { throw ConfigurationErrors(errors) }
        return PreparedConfiguration(configuration: configuration, instances: instances, identity: identity)
    }
}
