// swift-tools-version:6.0
import PackageDescription

let package = Package(
  name: "nnc",
  products: [
    .executable(name: "nnc", targets: ["nnc"]),
    .library(name: "NNCSpec", targets: ["NNCSpec"]),
    .library(name: "NNCGraph", targets: ["NNCGraph"]),
    .library(name: "NNCRuntime", targets: ["NNCRuntime"]),
  ],
  dependencies: [
    .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
    .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
    .package(url: "https://github.com/apple/swift-protobuf", from: "1.39.0"),
  ],
  targets: [
    .systemLibrary(
      name: "CBLAS",
      path: "Sources/CBLAS",
      pkgConfig: "openblas",
      providers: [.apt(["libopenblas-dev"])]
    ),
    .systemLibrary(
      name: "CZlib",
      path: "Sources/CZlib",
      pkgConfig: "zlib",
      providers: [.apt(["zlib1g-dev"])]
    ),
    // Open MPI, linked at build time (pkg-config ompi-c): `nnc train` under `mpirun` trains data-parallel.
    .systemLibrary(
      name: "CMPI",
      path: "Sources/CMPI",
      pkgConfig: "ompi-c",
      providers: [.apt(["libopenmpi-dev"])]
    ),
    // glibc's <malloc.h> (mallopt), part of libc: nothing to link.
    .systemLibrary(name: "CMalloc", path: "Sources/CMalloc"),
    .target(
      name: "CImageCodecs", linkerSettings: [.linkedLibrary("png16"), .linkedLibrary("jpeg")]
    ),
    // Vectorized depthwise-convolution kernels, compiled for the baseline ISA and for AVX2+FMA and
    // chosen at run time (Swift has no per-function target attributes).
    .target(name: "CKernels"),
    .target(name: "NNCRandom"),
    .target(name: "NNCSpec", dependencies: [.product(name: "Yams", package: "Yams")]),
    .target(name: "NNCGraph", dependencies: ["NNCSpec"]),
    .target(name: "NNCRuntime", dependencies: ["CBLAS", "CKernels", "NNCGraph", "NNCRandom"]),
    // The ONNX mapping lives apart so that NNCGraph never depends on protobuf; `onnx.pb.swift` is
    // generated once and committed (scripts/generate-onnx-proto), so no build plugin runs protoc.
    .target(
      name: "NNCONNX",
      dependencies: ["NNCGraph", "NNCSpec", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
    .target(name: "NNCData", dependencies: ["CImageCodecs", "CZlib", "NNCRandom"]),
    .target(
      name: "NNCTrain",
      dependencies: ["CMPI", "NNCRuntime", "NNCData", "NNCGraph", "NNCSpec", "NNCRandom", "NNCMetrics"]),
    .target(name: "NNCMetrics"),
    // TensorBoard event files; the only module that knows protobuf besides NNCONNX.
    .target(
      name: "NNCTensorBoard",
      dependencies: ["NNCTrain", "NNCGraph", .product(name: "SwiftProtobuf", package: "swift-protobuf")]),
    .target(name: "NNCFuzz", dependencies: ["NNCSpec", "NNCGraph", "NNCRandom", "NNCData", "NNCTrain", "NNCONNX"]),
    .executableTarget(name: "nnc-fuzz", dependencies: ["NNCFuzz"]),
    .executableTarget(
      name: "nnc",
      dependencies: [
        "CMalloc", "NNCSpec", "NNCGraph", "NNCRuntime", "NNCData", "NNCTrain", "NNCMetrics", "NNCONNX",
        "NNCTensorBoard", .product(name: "ArgumentParser", package: "swift-argument-parser"),
      ]
    ),
    .testTarget(name: "NNCRandomTests", dependencies: ["NNCRandom"]),
    .testTarget(name: "NNCSpecTests", dependencies: ["NNCSpec"]),
    .testTarget(name: "NNCGraphTests", dependencies: ["NNCGraph", "NNCSpec"]),
    // Test doubles shared by test targets (thread-backed ranks), built only for the tests.
    .target(name: "NNCTestSupport", dependencies: ["NNCTrain"], path: "Tests/NNCTestSupport"),
    .testTarget(
      name: "NNCRuntimeTests", dependencies: ["NNCRuntime", "NNCGraph", "NNCSpec", "NNCRandom", "NNCTestSupport", "NNCTrain"]),
    .testTarget(
      name: "NNCONNXTests",
      dependencies: [
        "NNCONNX", "NNCGraph", "NNCSpec", "NNCRuntime", "NNCRandom", "NNCData", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]),
    .testTarget(name: "NNCDataTests", dependencies: ["NNCData"]),
    .testTarget(name: "NNCTrainTests", dependencies: ["NNCTrain", "NNCTestSupport"]),
    .testTarget(name: "NNCMetricsTests", dependencies: ["NNCMetrics"]),
    .testTarget(name: "NNCFuzzTests", dependencies: ["NNCFuzz", "NNCGraph", "NNCSpec", "NNCData", "NNCTrain"]),
    .testTarget(
      name: "NNCTensorBoardTests",
      dependencies: [
        "NNCTensorBoard", "NNCTrain", "NNCGraph", "NNCSpec", .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]),
    .testTarget(
      name: "EndToEndTests",
      dependencies: [
        "nnc", "NNCTrain", "NNCData", "NNCONNX", "NNCTensorBoard",
        .product(name: "SwiftProtobuf", package: "swift-protobuf"),
      ]),
  ]
)
