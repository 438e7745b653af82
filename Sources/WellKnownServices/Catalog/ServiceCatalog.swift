// The table of built-in services, as inetd.c keeps its `biltins[]`: adding a service is one file and one row.

public enum ServiceCatalog {
    public static let all: [ServiceDescriptor] = [
        .echo,
        .discard,
        .chargen,
        .daytime,
        .time,
        .qotd,
        .whoami,
        .tcpmux,
        .ident,
    ]

    public static func descriptor(named name: String) -> ServiceDescriptor? {
        all.first { $0.name == name }
    }
}
