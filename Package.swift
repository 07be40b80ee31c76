// swift-tools-version:6.2
import PackageDescription

/// Settings every Noroshi target shares: Swift 6 mode is the default for tools 6.x, and any warning fails the build.
let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
    .treatAllWarnings(as: .error),
]

let package = Package(
    name: "noroshi",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "noroshi", targets: ["noroshi"]),
        .library(name: "NoroshiCore", targets: ["NoroshiCore"]),
    ],
    dependencies: [
        .package(url: "https://github.com/groue/GRDB.swift.git", exact: "7.10.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "3.12.3"),
        .package(url: "https://github.com/jpsim/Yams.git", from: "6.2.2"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-extras.git", from: "1.35.2"),
    ],
    targets: [
        // The domain: reports, incidents, kinds, statuses, the linking rule. Pure Swift, no I/O.
        .target(name: "NoroshiCore", swiftSettings: strict),

        // Japan's prefectures and municipalities offline: which 都道府県 and 市区町村 a point lies in (with the
        // 全国地方公共団体コード) and the outlines of the board's map. places.bin is built by scripts/build-places.py.
        .target(
            name: "NoroshiPlaces",
            dependencies: ["NoroshiCore"],
            resources: [.copy("Resources/places.bin")],
            swiftSettings: strict
        ),

        // SQLite through GRDB: migrations, intake with group commit, queries, timeline, tokens.
        .target(
            name: "NoroshiStorage",
            dependencies: [
                "NoroshiCore",
                "NoroshiPlaces",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strict
        ),

        // YAML with positions: the playbook reader and the configuration reader both read through it, so that
        // every problem in either file is written FILE:LINE:COLUMN: message.
        .target(name: "NoroshiYAML", dependencies: [.product(name: "Yams", package: "Yams")], swiftSettings: strict),

        // libcurl, reached only through NoroshiHTTPClient.
        .systemLibrary(
            name: "CCurl",
            pkgConfig: "libcurl",
            providers: [.apt(["libcurl4-openssl-dev"])]
        ),
        .target(name: "NoroshiHTTPClient", dependencies: ["CCurl"], swiftSettings: strict),

        // Chat: the outbox's delivery service and the Matrix, Slack-compatible, Teams and signed-webhook connectors.
        .target(
            name: "NoroshiChat",
            dependencies: [
                "NoroshiCore",
                "NoroshiStorage",
                "NoroshiHTTPClient",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // A minimal HTTP/1.1 server on 127.0.0.1 that can answer, answer late or hang up: the drill runner's
        // capture rooms, and the chat servers of tests and benchmarks.
        .target(name: "NoroshiLoopback", dependencies: ["NoroshiCore"], swiftSettings: strict),

        // The web board: Mustache templates, the pages' view models, static assets (CSS, the live-update
        // script). Renders what the server hands it; no I/O of its own.
        .target(
            name: "NoroshiBoard",
            dependencies: ["NoroshiCore", "NoroshiPlaces", .product(name: "Mustache", package: "swift-mustache")],
            resources: [.copy("Templates"), .copy("Assets")],
            swiftSettings: strict
        ),

        // The client of Noroshi's own API (APIClient) and the error envelope: the CLI and the live drill runner
        // talk to a daemon through it without the server's code.
        .target(name: "NoroshiClient", dependencies: ["NoroshiCore", "NoroshiHTTPClient"], swiftSettings: strict),

        // The HTTP API on Hummingbird, configuration, and the services the daemon runs.
        .target(
            name: "NoroshiServer",
            dependencies: [
                "NoroshiCore",
                "NoroshiClient",
                "NoroshiStorage",
                "NoroshiPlaces",
                "NoroshiBoard",
                "NoroshiPhotos",
                "NoroshiChat",
                "NoroshiYAML",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                // HTTPS (http.tls.*): swift-nio-ssl under Hummingbird's TLS channel.
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Yams", package: "Yams"),
                // The connection guard (ConnectionGuard.swift) is a pair of channel handlers.
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOHTTPTypes", package: "swift-nio-extras"),
            ],
            resources: [.copy("openapi.yaml")],
            swiftSettings: strict
        ),

        // libjpeg(-turbo) behind a few C functions that keep setjmp/longjmp on the C side, and the pixel
        // work between decode and encode (resampling, orientation), which must run at C speed even in debug builds.
        .target(
            name: "CJPEG",
            cSettings: [.unsafeFlags(["-Wall", "-Wextra", "-Werror"])],
            linkerSettings: [.linkedLibrary("jpeg"), .linkedLibrary("m")]
        ),

        // libheif (Debian libheif-dev): HEIF/HEIC photos, as iPhones take them, decoded to pixels for the
        // same copies; their EXIF block read. Its own target so that the JPEG path does not link it.
        .target(
            name: "CHEIF",
            cSettings: [.unsafeFlags(["-Wall", "-Wextra", "-Werror"])],
            linkerSettings: [.linkedLibrary("heif")]
        ),

        // libpng: PNG images (screenshots of maps and messages) decoded to pixels, their eXIf chunk read.
        .target(
            name: "CPNG",
            cSettings: [.unsafeFlags(["-Wall", "-Wextra", "-Werror"])],
            linkerSettings: [.linkedLibrary("png16")]
        ),

        // Photos: which kind of file it is, JPEG, HEIF and PNG headers and EXIF, limits, the chat and thumb
        // derivatives.
        .target(
            name: "NoroshiPhotos",
            dependencies: [
                "CJPEG", "CHEIF", "CPNG", "NoroshiCore", .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),

        // Drills: playbooks (YAML, checked with line-numbered errors); the runner, which plays them against an
        // in-process board on a controlled clock or a live daemon's API, and the after-action report.
        .target(
            name: "NoroshiDrill",
            dependencies: [
                "NoroshiCore",
                "NoroshiStorage",
                "NoroshiChat",
                "NoroshiServer",
                "NoroshiClient",
                "NoroshiHTTPClient",
                "NoroshiLoopback",
                "NoroshiYAML",
                .product(name: "Yams", package: "Yams"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // The `noroshi` command: serve, report, sync, status, incident, token, login, photo, outbox, rooms, drill.
        .executableTarget(
            name: "noroshi",
            dependencies: [
                "NoroshiCore",
                "NoroshiStorage",
                "NoroshiServer",
                "NoroshiClient",
                "NoroshiHTTPClient",
                "NoroshiPhotos",
                "NoroshiChat",
                "NoroshiDrill",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),

        // Test support: temporary data directories, the real daemon on port 0, the built CLI.
        .target(
            name: "NoroshiTesting",
            dependencies: [
                "NoroshiCore",
                "NoroshiStorage",
                "NoroshiServer",
                "NoroshiClient",
                "NoroshiChat",
                "NoroshiHTTPClient",
                "NoroshiLoopback",
                "NoroshiPhotos",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strict
        ),

        // Load generator for BENCHMARKS.md; never part of the test run.
        .executableTarget(
            name: "noroshi-bench",
            dependencies: [
                "NoroshiClient",
                "NoroshiCore",
                "NoroshiPlaces",
                "NoroshiStorage",
                "NoroshiTesting",
                "NoroshiPhotos",
                "NoroshiChat",
                "NoroshiLoopback",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            path: "Benchmarks/noroshi-bench",
            swiftSettings: strict
        ),

        // The fuzz target for the EXIF reader and JPEG header parser (scripts/fuzz-photos.sh builds it with
        // libFuzzer); in a normal build, a tool that replays inputs through the same code.
        .executableTarget(
            name: "noroshi-fuzz",
            dependencies: ["NoroshiPhotos"],
            exclude: ["photos.dict"],
            swiftSettings: strict
        ),

        .testTarget(name: "NoroshiCoreTests", dependencies: ["NoroshiCore"], swiftSettings: strict),
        .testTarget(name: "NoroshiPlacesTests", dependencies: ["NoroshiPlaces"], swiftSettings: strict),
        .testTarget(
            name: "NoroshiPhotosTests",
            dependencies: ["NoroshiPhotos", "NoroshiTesting"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NoroshiStorageTests",
            dependencies: ["NoroshiStorage", "NoroshiTesting", .product(name: "Crypto", package: "swift-crypto")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NoroshiServerTests",
            dependencies: [
                "NoroshiClient",
                "NoroshiServer", "NoroshiTesting", "NoroshiHTTPClient", "NoroshiPhotos",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NoroshiBoardTests",
            dependencies: [
                "NoroshiClient",
                "NoroshiBoard", "NoroshiServer", "NoroshiTesting", "NoroshiHTTPClient", "NoroshiStorage",
                "NoroshiPhotos", .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NoroshiChatTests",
            dependencies: [
                "NoroshiClient",
                "NoroshiChat", "NoroshiServer", "NoroshiStorage", "NoroshiTesting", "NoroshiHTTPClient",
                "NoroshiLoopback", .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NoroshiDrillTests",
            dependencies: [
                "NoroshiClient", "NoroshiDrill", "NoroshiTesting", "NoroshiChat", "NoroshiServer", "noroshi",
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "NoroshiCLITests",
            dependencies: [
                "NoroshiClient", "noroshi", "NoroshiTesting", "NoroshiHTTPClient", "NoroshiPhotos", "NoroshiLoopback",
                "NoroshiStorage", .product(name: "GRDB", package: "GRDB.swift"),
            ],
            swiftSettings: strict
        ),
    ]
)
