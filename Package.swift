// swift-tools-version:6.0
import PackageDescription

// The seams are enforced by what each target may import:
// - WellKnownCalendar: calendar arithmetic and ASCII digits, no dependencies: daytime lines and log stamps.
// - WellKnownServices: protocol handlers and their pure cores; NIOCore only, clock and randomness injected.
// - WellKnownConfig: YAML -> Configuration with positioned errors; knows no NIO.
// - WellKnownLogging: the log handler, its line formats and its writer thread; knows no service and no daemon. Into
//   a regular file, the writer has the pages behind it written back and dropped through CLogFile (sync_file_range,
//   another GNU extension).
// - WellKnownDaemon: sockets, socket activation, signals, limits, lifecycle, the metrics endpoint; the only place
//   that touches fds, the environment and libsystemd (CSystemd, a system library: libsystemd-dev). Its UDP loop
//   calls recvmmsg/sendmmsg through CDatagramIO, a few lines of C: Glibc's Swift module lacks the GNU extensions.
// - WellKnownImport: xinetd and inetd configurations to wellknownd's YAML (`wellknownd import`); it checks addresses
//   and networks with WellKnownConfig's own parsers, and knows no NIO.
// - WellKnownProbe: the client (`wellknownd probe`): POSIX sockets and pure checks of each RFC's answer; no NIO.
// - wellknownd: the command line, nothing else.
let package = Package(
    name: "wellknownd",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "wellknownd", targets: ["wellknownd"])
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.3"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
    ],
    targets: [
        .systemLibrary(
            name: "CSystemd",
            pkgConfig: "libsystemd",
            providers: [.apt(["libsystemd-dev"])]
        ),
        .systemLibrary(name: "CSockDiag"),
        .target(name: "CDatagramIO"),
        .target(name: "CLogFile"),
        .target(name: "WellKnownCalendar"),
        .target(
            name: "WellKnownServices",
            dependencies: [
                "WellKnownCalendar",
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .target(
            name: "WellKnownLogging",
            dependencies: [
                "CLogFile",
                "WellKnownCalendar",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .target(
            name: "WellKnownConfig",
            dependencies: [
                .product(name: "Yams", package: "Yams")
            ]
        ),
        .target(
            name: "WellKnownDaemon",
            dependencies: [
                "WellKnownCalendar",
                "WellKnownLogging",
                "WellKnownServices",
                "WellKnownConfig",
                "CSystemd",
                "CSockDiag",
                "CDatagramIO",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .target(name: "WellKnownImport", dependencies: ["WellKnownConfig"]),
        .target(
            name: "WellKnownProbe",
            dependencies: ["WellKnownServices"]
        ),
        .executableTarget(
            name: "wellknownd",
            dependencies: [
                "WellKnownDaemon",
                "WellKnownImport",
                "WellKnownProbe",
                "WellKnownLogging",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .testTarget(
            name: "WellKnownServicesTests",
            dependencies: [
                "WellKnownCalendar",
                "WellKnownServices",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WellKnownLoggingTests",
            dependencies: [
                "WellKnownCalendar",
                "WellKnownLogging",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "WellKnownImportTests",
            dependencies: ["WellKnownImport"]
        ),
        .testTarget(
            name: "WellKnownProbeTests",
            dependencies: ["WellKnownProbe"]
        ),
        .testTarget(
            name: "WellKnownConfigTests",
            // The daemon's ServiceTable gives the tests the real schema, derived from the service catalog.
            dependencies: ["WellKnownConfig", "WellKnownDaemon", "WellKnownServices"]
        ),
        .testTarget(
            name: "WellKnownDaemonTests",
            dependencies: [
                "WellKnownCalendar",
                "WellKnownLogging",
                "WellKnownDaemon",
                "WellKnownServices",
                "WellKnownConfig",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ]
        ),
        .testTarget(
            name: "IntegrationTests",
            dependencies: [
                "wellknownd",
                "WellKnownServices",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
