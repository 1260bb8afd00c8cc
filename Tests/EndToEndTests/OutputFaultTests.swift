import Foundation
import Testing

/// Output files under faults, through the `nnc` binary: a file size limit (`ulimit -f`), a run
/// directory or output folder that cannot be written, and `eval`/`bench` stopped by a signal.
@Suite struct OutputFaultTests {
  static let layers = """
        - flatten
        - dense: {units: 32, activation: relu}
        - dense: 10
    """

  /// Runs `nnc ARGUMENTS` under /bin/sh with `limits` (shell commands such as `ulimit -f 8`) first;
  /// output goes to fresh files, so only the files the command writes meet the limit.
  static func runLimited(_ limits: String, _ arguments: [String], in directory: URL) throws -> (
    status: Int32, reason: Process.TerminationReason, stderr: String
  ) {
    let binary = NNCProcess.productsDirectory.appendingPathComponent("nnc").path
    let quoted = ([binary] + arguments).map { "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'" }
    let process = Process()
    process.executableURL = URL(fileURLWithPath: "/bin/sh")
    process.arguments = ["-c", "\(limits); exec " + quoted.joined(separator: " ")]
    process.currentDirectoryURL = NNCProcess.repositoryRoot
    let errPath = directory.appendingPathComponent("limited.err").path
    _ = FileManager.default.createFile(atPath: errPath, contents: nil)
    process.standardOutput = FileHandle.nullDevice
    process.standardError = try FileHandle(forWritingTo: URL(fileURLWithPath: errPath))
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    let stderr = try String(contentsOfFile: errPath, encoding: .utf8)
    try FileManager.default.removeItem(atPath: errPath)
    return (process.terminationStatus, process.terminationReason, stderr)
  }

  static func temporaries(in directory: URL) -> [String] {
    ((try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []).filter {
      $0.contains(".tmp-")
    }
  }

  /// Past `ulimit -f` a write fails with EFBIG, reported naming the file, instead of SIGXFSZ killing
  /// the process (exit 153); the previous files stay whole and no temporary is left.
  @Test func aFileSizeLimitIsAnErrorNamingTheFile() throws {
    let directory = try TrainingSupport.temporaryDirectory("ulimit")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: Self.layers, train: "{epochs: 1, batch_size: 64, seed: 1}")
    let run = directory.appendingPathComponent("run")
    // 8 blocks of 512 bytes: the history fits, the checkpoint (about 30 kB) does not.
    let limited = try Self.runLimited("ulimit -f 8", ["train", spec, "--run-dir", run.path], in: directory)
    #expect(limited.reason == .exit && limited.status == 1, "status \(limited.status): \(limited.stderr)")
    #expect(limited.stderr.contains("checkpoint-last.safetensors"), "\(limited.stderr)")
    #expect(limited.stderr.contains("file size limit (ulimit -f)"), "\(limited.stderr)")
    #expect(!limited.stderr.contains("NSCocoaErrorDomain"), "\(limited.stderr)")
    #expect(Self.temporaries(in: run).isEmpty, "\(Self.temporaries(in: run))")
    // Evaluation's predictions file meets the same limit.
    #expect(try NNCProcess.run(["train", spec, "--run-dir", run.path]).status == 0)
    let predictions = directory.appendingPathComponent("predictions.csv")
    let evaluated = try Self.runLimited(
      "ulimit -f 4",
      [
        "eval", spec, "--checkpoint", run.appendingPathComponent("checkpoint-last.safetensors").path,
        "--predictions", predictions.path,
      ], in: directory)
    #expect(
      evaluated.reason == .exit && evaluated.status == 1, "status \(evaluated.status): \(evaluated.stderr)")
    #expect(evaluated.stderr.contains("predictions.csv"), "\(evaluated.stderr)")
    #expect(evaluated.stderr.contains("file size limit (ulimit -f)"), "\(evaluated.stderr)")
    #expect(!FileManager.default.fileExists(atPath: predictions.path))
    #expect(Self.temporaries(in: directory).isEmpty, "\(Self.temporaries(in: directory))")
  }

  /// A run directory that cannot be created or written is named in one line, never a Foundation
  /// error dump. Root ignores permission bits, so as root an unwritable directory is one of /proc's.
  @Test func anUnwritableRunDirectoryIsNamed() throws {
    let directory = try TrainingSupport.temporaryDirectory("readonly")
    defer {
      chmod(directory.appendingPathComponent("locked").path, 0o755)
      try? FileManager.default.removeItem(at: directory)
    }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: Self.layers, train: "{epochs: 1, batch_size: 64, seed: 1}")
    // A regular file where a directory is expected.
    let underFile = spec + "/run"
    let notDirectory = try NNCProcess.run(["train", spec, "--run-dir", underFile])
    #expect(notDirectory.status == 1)
    #expect(
      notDirectory.stderr.contains(
        "the run directory \(underFile) cannot be created: \(spec) exists and is not a directory"),
      "\(notDirectory.stderr)")
    let unwritable: String
    if getuid() == 0 {
      unwritable = "/proc/self"
    } else {
      unwritable = directory.appendingPathComponent("locked").path
      try FileManager.default.createDirectory(atPath: unwritable, withIntermediateDirectories: false)
      chmod(unwritable, 0o555)
    }
    let readOnly = try NNCProcess.run(["train", spec, "--run-dir", unwritable])
    #expect(readOnly.status == 1)
    #expect(readOnly.stderr.contains("the run directory \(unwritable) is not writable"), "\(readOnly.stderr)")
    // Output folders of eval name the path too.
    #expect(
      try NNCProcess.run(["train", spec, "--run-dir", directory.appendingPathComponent("run").path]).status
        == 0)
    let plots = try NNCProcess.run([
      "eval", spec, "--checkpoint", directory.appendingPathComponent("run/checkpoint-last.safetensors").path,
      "--plots", underFile,
    ])
    #expect(plots.status == 1)
    #expect(plots.stderr.contains("\(spec) exists and is not a directory"), "\(plots.stderr)")
    for output in [notDirectory, readOnly, plots] {
      #expect(
        !output.stderr.contains("NSCocoaErrorDomain") && !output.stderr.contains("Code="), "\(output.stderr)")
    }
  }

  /// `eval` stopped by SIGINT or SIGTERM exits 130 or 143 and leaves neither its predictions file
  /// nor plots nor a temporary; `bench` exits the same way.
  @Test(arguments: [SIGINT, SIGTERM])
  func interruptedEvalAndBenchLeaveNoOutput(_ signal: Int32) throws {
    let directory = try TrainingSupport.temporaryDirectory("eval-signal")
    defer { try? FileManager.default.removeItem(at: directory) }
    // Evaluation meets the digits test set repeated 100 times under wide convolutions on one
    // thread: it takes minutes on any CPU, so the signal always lands before it ends, and it is
    // sent only once the handler is installed.
    let spec = try TrainingSupport.digitsSpec(
      in: directory,
      layers: """
            - conv2d: {filters: 256, kernel: 3, padding: same, activation: relu}
            - conv2d: {filters: 256, kernel: 3, padding: same, activation: relu}
            - conv2d: {filters: 256, kernel: 3, padding: same, activation: relu}
            - global_avgpool
            - dense: 10
        """, train: "{epochs: 1, batch_size: 10, seed: 1, threads: 1}")
    let text = try String(contentsOfFile: spec, encoding: .utf8)
      .replacingOccurrences(of: "  classes: 10\n", with: "  classes: 10\n  limit_per_class: 1\n")
    try text.write(toFile: spec, atomically: true, encoding: .utf8)
    let run = directory.appendingPathComponent("run")
    let trained = try NNCProcess.run(["train", spec, "--run-dir", run.path])
    #expect(trained.status == 0, "\(trained.stderr)")
    // Only evaluation meets the long test split; training's final test pass would too.
    let repeated = try Self.repeatedDigitsTestSet(in: directory, times: 100)
    let digits = NNCProcess.repositoryRoot.appendingPathComponent("Data/digits").path
    try text.replacingOccurrences(of: "\(digits)/t10k-images-idx3-ubyte", with: repeated.images)
      .replacingOccurrences(of: "\(digits)/t10k-labels-idx1-ubyte", with: repeated.labels)
      .write(toFile: spec, atomically: true, encoding: .utf8)
    let outputs = directory.appendingPathComponent("outputs")
    try FileManager.default.createDirectory(at: outputs, withIntermediateDirectories: true)
    let evaluation = try NNCProcess.start([
      "eval", spec, "--checkpoint", run.appendingPathComponent("checkpoint-last.safetensors").path,
      "--predictions", outputs.appendingPathComponent("predictions.csv").path,
      "--plots", outputs.appendingPathComponent("plots").path,
    ])
    #expect(Self.waitUntilCatching(signal, evaluation))
    kill(evaluation.processIdentifier, signal)
    RunSafetyEndToEndTests.waitForExit(evaluation)
    #expect(evaluation.terminationReason == .exit)
    #expect(evaluation.terminationStatus == 128 + signal)
    let left = try FileManager.default.subpathsOfDirectory(atPath: outputs.path)
    #expect(left.isEmpty, "\(left)")
    let bench = try NNCProcess.start(["bench", spec, "--seconds", "300"])
    #expect(Self.waitUntilCatching(signal, bench))
    kill(bench.processIdentifier, signal)
    RunSafetyEndToEndTests.waitForExit(bench)
    #expect(bench.terminationReason == .exit)
    #expect(bench.terminationStatus == 128 + signal)
  }

  /// Polls the process's caught-signal mask (`SigCgt` in /proc/PID/status) until its handler for
  /// `signal` is installed: a signal sent earlier would take the default action instead.
  static func waitUntilCatching(_ signal: Int32, _ process: Process) -> Bool {
    let deadline = Date().addingTimeInterval(60)
    let bit = UInt64(1) << UInt64(signal - 1)
    while process.isRunning, Date() < deadline {
      let status =
        (try? String(contentsOfFile: "/proc/\(process.processIdentifier)/status", encoding: .utf8)) ?? ""
      if let line = status.split(separator: "\n").first(where: { $0.hasPrefix("SigCgt:") }),
        let mask = UInt64(line.dropFirst("SigCgt:".count).trimmingCharacters(in: .whitespaces), radix: 16),
        mask & bit != 0
      {
        return true
      }
      usleep(5_000)
    }
    return false
  }

  /// Writes the digits test set repeated `times` times as IDX files.
  static func repeatedDigitsTestSet(in directory: URL, times: Int) throws -> (images: String, labels: String)
  {
    let digits = NNCProcess.repositoryRoot.appendingPathComponent("Data/digits")
    let images = try Data(contentsOf: digits.appendingPathComponent("t10k-images-idx3-ubyte"))
    let labels = try Data(contentsOf: digits.appendingPathComponent("t10k-labels-idx1-ubyte"))
    func bigEndian(_ value: Int) -> Data { withUnsafeBytes(of: UInt32(value).bigEndian) { Data($0) } }
    let count = Int(labels[4..<8].reduce(UInt32(0)) { $0 << 8 | UInt32($1) })
    var repeatedImages = images[0..<4] + bigEndian(count * times) + images[8..<16]
    var repeatedLabels = labels[0..<4] + bigEndian(count * times)
    for _ in 0..<times {
      repeatedImages += images[16...]
      repeatedLabels += labels[8...]
    }
    let imagesURL = directory.appendingPathComponent("repeated-images-idx3-ubyte")
    let labelsURL = directory.appendingPathComponent("repeated-labels-idx1-ubyte")
    try repeatedImages.write(to: imagesURL)
    try repeatedLabels.write(to: labelsURL)
    return (imagesURL.path, labelsURL.path)
  }
}
