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
                    options: Dictionary(
                        descriptor.options.map { ($0.key, Self.kind(of: $0.kind)) },
                        uniquingKeysWith: { first, _ in first }
                    ),
                    transports: descriptor.datagrams ? Transport.allCases : [.tcp]
                )
            }
        )
    }

    static func kind(of kind: ServiceOption.Kind) -> ConfigurationSchema.OptionKind {
        switch kind {
        case .choice(let allowed): return .choice(allowed)
        case .text: return .text
        case .integer(let range): return .integer(range)
        case .list: return .list
        case .file: return .file
        }
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
            var values: [String: ServiceOptionValue] = [:]
            var unreadable = false
            for (key, option) in entry.options {
                do throws(ServiceOptionError) {
                    values[key] = try Self.value(of: option, key: key, for: descriptor.options.first { $0.key == key })
                } catch {
                    unreadable = true
                    errors.append(
                        ConfigurationError(
                            location: option.location,
                            keyPath: "\(entry.keyPath).\(key)",
                            message: error.message
                        )
                    )
                }
            }
            guard !unreadable else { continue }
            do throws(ServiceOptionError) {
                instances[entry.index] = try descriptor.makeInstance(
                    options: ServiceOptions(values),
                    environment: environment
                )
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

    /// An entry's option as the service takes it: a file option is read here (services never read files), with
    /// the same care as the configuration itself, bounded by the option's own size limit.
    static func value(
        of option: EntryOption,
        key: String,
        for declared: ServiceOption?
    ) throws(ServiceOptionError) -> ServiceOptionValue {
        switch option.value {
        case .text(let text): return .text(text)
        case .integer(let number): return .integer(number)
        case .list(let words): return .list(words)
        case .file(let path):
            guard case .file(let maximumSize)? = declared?.kind else {
                throw ServiceOptionError(key: key, message: "'\(key)' is not a file option")
            }
            do {
                let contents = try ConfigurationFile.read(path: path, maximumSize: maximumSize, what: path)
                return .file(path: path, contents: contents)
            } catch {
                throw ServiceOptionError(key: key, message: error.message)
            }
        }
    }
}
