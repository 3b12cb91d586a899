// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "Mesh",
    platforms: [.macOS(.v15)],   // task executors (EventLoopTaskExecutor)
    products: [
        .executable(name: "mesh", targets: ["mesh"]),
        .library(name: "MeshOT", targets: ["MeshOT"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/sqlite-nio.git", from: "1.13.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket.git", from: "2.8.1"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-auth.git", from: "2.5.0"),
        .package(url: "https://github.com/vapor/jwt-kit.git", from: "5.8.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
    ],
    targets: [
        // Pure operational-transform core: no I/O, no clocks, no logging.
        .target(name: "MeshOT"),
        // The editing traces (Tests/Fixtures/traces) the benchmarks and the replay test read.
        .target(name: "MeshTraces"),
        // The Codable messages between clients and server; pure.
        // A JSON value with its own one-pass reader and writer (for JSON-RPC and DAP bodies).
        .target(name: "MeshJSON"),
        // Content-Length framing (LSP, DAP) and a stdin/stdout connection that reads it.
        .target(name: "MeshFraming"),
        .target(name: "MeshProtocol", dependencies: ["MeshOT", "MeshJSON"]),
        // Repositories over SQL: one implementation for SQLite and PostgreSQL (ops stored in their wire form).
        .target(
            name: "MeshStore",
            dependencies: [
                "MeshOT", "MeshProtocol",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOPosix", package: "swift-nio"),
                // SQLiteDirectAppender's calls into SQLiteNIO's own copy of SQLite.
                "MeshSQLiteSymbols",
            ]
        ),
        // The declarations of the SQLite functions (sqlite-nio's prefixed copy) MeshStore calls directly.
        .target(name: "MeshSQLiteSymbols"),
        // The Hummingbird 2 application: REST API, WebSocket hub, document actors, auth.
        .target(
            name: "MeshServer",
            dependencies: [
                "MeshOT", "MeshProtocol", "MeshJSON", "MeshStore", "MeshSandbox", "MeshFraming",
                .product(name: "Hummingbird", package: "hummingbird"),
                // ServerChildChannel and HTTPServerBuilder, for the TLS channel whose certificate reloads.
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "HummingbirdBcrypt", package: "hummingbird-auth"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                // SIGHUP: the TLS certificate and key are read again.
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                // The request decoder a connection's first-head deadline sits behind.
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                // Typed errors of oversized WebSocket frames (CloseReason.isOversized).
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            resources: [.copy("Resources/openapi.yaml"), .copy("Resources/web")]
        ),
        // What every client shares: REST client, credentials, workspace files, the WebSocket.
        .target(
            name: "MeshClient",
            dependencies: [
                "MeshProtocol",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                // https:// and wss://: the trust (--ca-file, MESH_CA_FILE) and TLS failures in plain words.
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ]
        ),
        // Docker Engine API client and the sandbox policy for debug and run containers.
        .target(
            name: "MeshSandbox",
            dependencies: [
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // `mesh dap`: DAP over stdio bridged to the server's shared debug sessions.
        .target(
            name: "MeshDAP",
            dependencies: [
                "MeshProtocol", "MeshClient", "MeshFraming",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // The editor bridge: JSON-RPC over stdio, the LSP subset Mesh uses, buffer sync.
        .target(
            name: "MeshLSP",
            dependencies: [
                "MeshOT", "MeshProtocol", "MeshClient", "MeshFraming",
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        .executableTarget(
            name: "mesh",
            dependencies: [
                "MeshOT", "MeshProtocol", "MeshClient", "MeshServer", "MeshLSP", "MeshSandbox", "MeshDAP",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
        // A loopback TCP load balancer (round-robin, no sticky sessions) for the cluster tests and
        // `mesh-relay-bench cluster` only: a test and benchmark tool, nothing in `mesh` depends on it.
        .target(
            name: "MeshLoopbackBalancer",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        // Benchmarks are plain executables (run with `-c release`), kept out of the test suite.
        .executableTarget(name: "mesh-bench", dependencies: ["MeshOT", "MeshProtocol", "MeshTraces"]),
        // Relay benchmarks: an in-process server measured over real loopback WebSockets.
        .executableTarget(
            name: "mesh-relay-bench",
            dependencies: [
                "MeshOT", "MeshProtocol", "MeshStore", "MeshServer", "MeshClient", "MeshTraces", "MeshLoopbackBalancer",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
            ]
        ),
        // What the test targets share (the seeded generator of every randomized test).
        .target(name: "MeshTestSupport", dependencies: ["MeshOT"], path: "Tests/MeshTestSupport"),
        .testTarget(name: "MeshOTTests", dependencies: ["MeshOT", "MeshTestSupport", "MeshTraces"]),
        .testTarget(
            name: "MeshStoreTests",
            dependencies: [
                "MeshStore", "MeshOT", "MeshProtocol",
                .product(name: "SQLiteNIO", package: "sqlite-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ]
        ),
        .testTarget(
            name: "MeshServerTests",
            dependencies: [
                "MeshServer", "MeshStore", "MeshProtocol", "MeshOT", "MeshTestSupport", "MeshLoopbackBalancer",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
                .product(name: "JWTKit", package: "jwt-kit"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        .testTarget(name: "MeshLSPTests", dependencies: [
            "MeshLSP", "MeshOT", "MeshProtocol", "MeshFraming", "MeshTestSupport",
            .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
        ]),
        .testTarget(name: "MeshProtocolTests", dependencies: ["MeshProtocol", "MeshJSON", "MeshOT", "MeshFraming", "MeshTestSupport"]),
        .testTarget(name: "MeshClientTests", dependencies: ["MeshClient"]),
        .testTarget(name: "MeshDAPTests", dependencies: ["MeshDAP", "MeshClient", "MeshProtocol"]),
        // Runs the built `mesh` binary end to end (server and CLI verbs as subprocesses).
        .testTarget(name: "MeshCLITests", dependencies: [
            "MeshClient", "MeshLSP", "MeshOT", "MeshProtocol", "MeshFraming", "MeshSandbox", "MeshStore", "MeshTestSupport",
            .product(name: "HummingbirdWSClient", package: "hummingbird-websocket"),
            .product(name: "Logging", package: "swift-log"),
        ]),
    ]
)
