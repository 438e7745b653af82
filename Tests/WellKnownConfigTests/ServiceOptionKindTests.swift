import Testing
import WellKnownConfig

/// The loader types an option by its kind. No built-in service has every kind yet, so this schema is made up.
@Suite struct ServiceOptionKindTests {
    static let schema = ConfigurationSchema(services: [
        .init(
            name: "demo",
            options: [
                "mode": .choice(["a", "b"]), "label": .text, "size": .integer(1...512), "names": .list,
                "quotes": .file,
            ]
        )
    ])

    static func load(_ options: String) throws(ConfigurationErrors) -> [String: EntryOption.Value] {
        let configuration = try ConfigurationLoader(schema: Self.schema).parse(
            "services:\n  - {service: demo, port: 7, \(options)}\n",
            source: "k.yaml"
        )
        return configuration.services.first?.options.mapValues(\.value) ?? [:]
    }

    static func problems(_ options: String) -> [String] {
        do {
            _ = try Self.load(options)
            return []
        } catch {
            return error.errors.map(\.description)
        }
    }

    @Test func eachKindGivesItsType() throws {
        let options = try Self.load("mode: b, label: hello, size: 40, names: [echo, daytime], quotes: /etc/q")
        #expect(options["mode"] == .text("b"))
        #expect(options["label"] == .text("hello"))
        #expect(options["size"] == .integer(40))
        #expect(options["names"] == .list(["echo", "daytime"]))
        #expect(options["quotes"] == .file("/etc/q"))
        #expect(try Self.load("names: echo")["names"] == .list(["echo"]), "one word is a list of one")
    }

    @Test func valuesThatDoNotFitTheirKindArePositioned() {
        #expect(Self.problems("size: 513") == ["k.yaml:2:36: services[0].size: 513 is outside 1...512"])
        #expect(
            Self.problems("size: big") == ["k.yaml:2:36: services[0].size: expected a whole number, found 'big'"]
        )
        #expect(Self.problems("mode: c") == ["k.yaml:2:36: services[0].mode: 'c' is not one of a, b"])
        #expect(
            Self.problems("names: [echo, [x]]")
                == ["k.yaml:2:44: services[0].names[1]: expected a single value, found a list"]
        )
        #expect(Self.problems("quotes: q.txt") == ["k.yaml:2:38: services[0].quotes: 'q.txt' is not an absolute path"])
    }

    @Test func anUnknownOptionSuggestsFromTheEntryKeysAndTheServicesOptions() {
        #expect(
            Self.problems("sise: 4")
                == [
                    "k.yaml:2:30: services[0].sise: unknown key 'sise' for service demo (did you mean 'size'?) (known: "
                        + ServiceEntry.configurationKeyNames.joined(separator: ", ")
                        + ", label, mode, names, quotes, size)"
                ]
        )
    }
}
