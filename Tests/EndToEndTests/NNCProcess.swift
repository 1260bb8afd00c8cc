import Foundation

/// Runs the built `nnc` binary, which SwiftPM places next to the test bundle.
enum NNCProcess {
  struct Result {
    var status: Int32
    var stdout: String
    var stderr: String
  }

  static var productsDirectory: URL {
    for bundle in Bundle.allBundles where bundle.bundlePath.hasSuffix(".xctest") {
      return bundle.bundleURL.deletingLastPathComponent()
    }
    return Bundle.main.bundleURL
  }

  /// The repository root, found from this file's path, so specs are read from `Specs/`.
  static var repositoryRoot: URL {
    URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
      .deletingLastPathComponent()
  }

  /// Starts the binary without waiting; its output is discarded.
  static func start(_ arguments: [String]) throws -> Process {
    let process = Process()
    process.executableURL = productsDirectory.appendingPathComponent("nnc")
    process.arguments = arguments
    process.currentDirectoryURL = repositoryRoot
    process.standardOutput = FileHandle.nullDevice
    process.standardError = FileHandle.nullDevice
    process.standardInput = FileHandle.nullDevice
    try process.run()
    return process
  }

  static func run(_ arguments: [String], currentDirectory: URL? = nil) throws -> Result {
    let process = Process()
    process.executableURL = productsDirectory.appendingPathComponent("nnc")
    process.arguments = arguments
    process.currentDirectoryURL = currentDirectory ?? repositoryRoot
    // Output goes to files: pipes would need concurrent draining to avoid blocking a chatty child.
    let directory = FileManager.default.temporaryDirectory.appendingPathComponent(
      "nnc-e2e-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
    defer { try? FileManager.default.removeItem(at: directory) }
    let outURL = directory.appendingPathComponent("stdout")
    let errURL = directory.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    let out = try FileHandle(forWritingTo: outURL)
    let err = try FileHandle(forWritingTo: errURL)
    process.standardOutput = out
    process.standardError = err
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    try out.close()
    try err.close()
    let stdoutData = try Data(contentsOf: outURL)
    let stderrData = try Data(contentsOf: errURL)
    return Result(
      status: process.terminationStatus, stdout: String(decoding: stdoutData, as: UTF8.self),
      stderr: String(decoding: stderrData, as: UTF8.self))
  }
}
