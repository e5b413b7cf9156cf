// swift-tools-version:6.2
// Clientele: the customer ledger of a physical store or chain.
// Targets, left to right, each depending only on those before it:
// CLMDB (C) → LMDB (safe wrapper) → Ledger (append-only log) → LedgerJSON → Backup, Access (roles, tokens) → CustomerEvents
// (catalog, schemas, sealing) → Audit, SyntheticChain, POSImport (POS export files → receipts) →
// Ingest (receipts → events in the ledger) → Projections (read models) → Replay → ClienteleCLI →
// clientele (@main). CustomerBase (BG/NBD churn model) stands alone: pure math, no
// dependencies; bgnbd-fit is its CSV-in, JSON-out front for tools/validate-bgnbd.py.
import PackageDescription

let package = Package(
    name: "Clientele",
    products: [
        .executable(name: "clientele", targets: ["clientele"]),
        .library(name: "Ledger", targets: ["Ledger"]),
        .library(name: "LMDB", targets: ["LMDB"]),
        .library(name: "POSImport", targets: ["POSImport"]),
        .library(name: "CustomerBase", targets: ["CustomerBase"]),
        .executable(name: "bgnbd-fit", targets: ["bgnbd-fit"]),
        .library(name: "Ingest", targets: ["Ingest"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.3"),
        .package(url: "https://github.com/LebJe/TOMLKit", from: "0.6.0"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-metrics", from: "2.13.0"),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .target(name: "LMDB", dependencies: ["CLMDB"]),
        // Cache prefetch hints for the rebuild's folds (C: Swift has no prefetch).
        .target(name: "CMemoryHints"),
        .target(name: "LedgerJSON", dependencies: ["Ledger"]),
        // Hot compacted copies of a ledger and its key and access stores, and their verified restore.
        .target(name: "Backup", dependencies: ["LMDB", "Ledger", "LedgerJSON"]),
        .target(
            name: "Ledger",
            dependencies: [
                "LMDB",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        .target(
            name: "CustomerEvents",
            dependencies: [
                "Ledger",
                "LedgerJSON",
                "LMDB",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Roles, capabilities, bearer tokens and who is running a command.
        .target(
            name: "Access",
            dependencies: ["Ledger", "LedgerJSON", "LMDB", .product(name: "Crypto", package: "swift-crypto")]
        ),
        // Compliance: the audit questions asked of the log, and the subject-access export.
        .target(name: "Audit", dependencies: ["Ledger", "LedgerJSON", "CustomerEvents"]),
        .target(name: "SyntheticChain", dependencies: ["Ledger", "LedgerJSON", "CustomerEvents"]),
        .target(name: "Projections", dependencies: ["Access", "Ledger", "LedgerJSON", "LMDB", "CustomerEvents", "CustomerBase", "CMemoryHints",
                                                    .product(name: "TOMLKit", package: "TOMLKit")]),
        // Replay for analysts: the events (pseudonymous by default) and read models rebuilt as of a point.
        .target(name: "Replay", dependencies: ["Ledger", "LedgerJSON", "CustomerEvents", "CustomerBase", "Projections"]),
        // The HTTP service: Hummingbird application, routes, auth, problem documents, metrics.
        .target(
            name: "Service",
            dependencies: [
                "Access",
                "Ledger",
                "LedgerJSON",
                "CustomerEvents",
                "Projections",
                "CustomerBase",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Metrics", package: "swift-metrics"),
            ]
        ),
        .target(
            name: "ClienteleCLI",
            dependencies: [
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                "Service",
                "Access",
                "Audit",
                "Backup",
                "Replay",
                "Ledger",
                "LedgerJSON",
                "CustomerEvents",
                "SyntheticChain",
                "Projections",
                "CustomerBase",
                "POSImport",
                "Ingest",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]
        ),
        .target(
            name: "POSImport",
            dependencies: [
                "Ledger",
                .product(name: "TOMLKit", package: "TOMLKit"),
            ]
        ),
        .target(name: "CustomerBase"),
        .target(
            name: "Ingest",
            dependencies: [
                "POSImport",
                "CustomerEvents",
                "Ledger",
                "LedgerJSON",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Helpers the test targets share (seeded random numbers, quoted CSV, iconv); not a product.
        .target(name: "TestSupport"),
        .executableTarget(name: "clientele", dependencies: ["ClienteleCLI"]),
        .executableTarget(name: "bgnbd-fit", dependencies: ["CustomerBase"]),
        .testTarget(name: "LMDBTests", dependencies: ["LMDB"]),
        .testTarget(name: "AccessTests", dependencies: ["TestSupport", "Access", "LedgerJSON"]),
        .testTarget(name: "LedgerTests", dependencies: ["TestSupport", "Ledger", "LMDB", .product(name: "Crypto", package: "swift-crypto")]),
        .testTarget(name: "CustomerEventsTests", dependencies: ["CustomerEvents", "SyntheticChain", "Ledger", "LedgerJSON", "LMDB"]),
        .testTarget(name: "POSImportTests", dependencies: ["TestSupport", "POSImport", "Ledger"]),
        .testTarget(name: "ProjectionsTests", dependencies: ["TestSupport", "Projections", "Replay", "CustomerEvents", "SyntheticChain", "Ledger", "LedgerJSON"]),
        .testTarget(name: "CustomerBaseTests", dependencies: ["TestSupport", "CustomerBase"]),
        .testTarget(name: "IngestTests", dependencies: ["TestSupport", "Ingest", "POSImport", "CustomerEvents", "Ledger", "LedgerJSON"]),
        .testTarget(name: "ClienteleCLITests", dependencies: ["ClienteleCLI", "Backup", "CustomerEvents", "LedgerJSON", "Ledger", "POSImport", "clientele"]),
        .testTarget(
            name: "ServiceTests",
            dependencies: [
                "TestSupport", "Service", "Access", "Ledger", "LedgerJSON", "CustomerEvents",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Logging", package: "swift-log"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
