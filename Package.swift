// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "pvgen",
    platforms: [.macOS(.v13)],
    products: [
        .executable(name: "pvgen", targets: ["pvgen"]),
        .library(name: "CodeGen", targets: ["CodeGen"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.5.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.0.0"),
        .package(url: "https://github.com/apple/swift-crypto", from: "3.12.0"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache", from: "2.1.0"),
        .package(url: "https://github.com/swiftlang/swift-subprocess", from: "1.0.0"),
    ],
    targets: [
        .target(
            name: "DriverModel"
        ),
        .target(
            name: "HypercallABI",
            dependencies: ["DriverModel", .product(name: "Crypto", package: "swift-crypto")]
        ),
        .target(
            name: "CodeGen",
            dependencies: [
                "DriverModel", "HypercallABI",
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "Yams", package: "Yams"),
            ],
            resources: [.copy("templates")]
        ),
        // libkmod, to read modinfo out of built .ko files (Debian: libkmod-dev).
        .systemLibrary(name: "CKmod", pkgConfig: "libkmod", providers: [.apt(["libkmod-dev"])]),
        .target(
            name: "KernelBuild",
            dependencies: [
                "CKmod",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
        // pvgen verify: guest/host ABI agreement read from built artifacts (pahole, libkmod)
        // and checked by running both sides in a rig (harness/: Unicorn, a KVM vCPU).
        .target(
            name: "ABIVerify",
            dependencies: [
                "DriverModel", "HypercallABI", "CodeGen", "KernelBuild",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            resources: [.copy("harness")]
        ),
        .executableTarget(
            name: "pvgen",
            dependencies: [
                "DriverModel", "HypercallABI", "CodeGen", "KernelBuild", "ABIVerify",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Subprocess", package: "swift-subprocess"),
            ],
            // The QEMU build step `pvgen qemu` runs (Tests/rigs/qemu/build-qemu.sh links to it).
            resources: [.copy("Resources")]
        ),
        .testTarget(
            name: "pvgenTests",
            dependencies: [
                "DriverModel", "HypercallABI", "CodeGen", "KernelBuild", "ABIVerify",
                .product(name: "Subprocess", package: "swift-subprocess"),
            ]
        ),
    ]
)
