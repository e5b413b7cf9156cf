// swift-tools-version:6.2
// Measures POSImport's own CSV reader against yaslab/CSV.swift on one generated file, to decide
// which the ingest uses (docs/csv-reader.md). Not part of the product: build it on its own,
//   swift run -c release --package-path tools/csv-reader-bench csv-reader-bench generate /tmp/big.csv 1000000
//   swift run -c release --package-path tools/csv-reader-bench csv-reader-bench measure /tmp/big.csv
import PackageDescription

let package = Package(
    name: "csv-reader-bench",
    dependencies: [
        .package(name: "Clientele", path: "../.."),
        .package(url: "https://github.com/yaslab/CSV.swift", from: "2.5.2"),
    ],
    targets: [
        .executableTarget(
            name: "csv-reader-bench",
            dependencies: [
                .product(name: "POSImport", package: "Clientele"),
                .product(name: "CSV", package: "CSV.swift"),
            ]
        ),
    ],
    swiftLanguageModes: [.v6]
)
