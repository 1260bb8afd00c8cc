import Foundation
import NNCTrain
import Testing

/// `mpirun -np 2 nnc train`: with the global batch cut into two equal parts and the gradients
/// averaged, two ranks end with the weights one process trains (up to the order of the sums), also
/// across a checkpoint and `--resume` under MPI. Skipped when Open MPI's `mpirun` is not installed.
@Suite struct DataParallelTrainingTests {
  static let mpirun = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
    .map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }

  /// LeNet-5 (no BatchNorm, no dropout) on 230 MNIST samples: 8 batches of 32, the last one 6.
  static func lenetSpec(in directory: URL, batchSize: Int) throws -> String {
    let data = NNCProcess.repositoryRoot.appendingPathComponent("Data/mnist5k").path
    let spec = directory.appendingPathComponent("lenet5.yaml").path
    try """
    model:
      input: [1, 28, 28]
      layers:
        - conv2d: {filters: 6, kernel: 5, padding: 2, activation: relu}
        - maxpool: 2
        - conv2d: {filters: 16, kernel: 5, activation: relu}
        - maxpool: 2
        - flatten
        - dense: {units: 120, activation: relu}
        - dense: {units: 84, activation: relu}
        - dense: 10
    data:
      format: idx
      train: {images: \(data)/train-images-idx3-ubyte, labels: \(data)/train-labels-idx1-ubyte}
      classes: 10
      scale: 0.00392156862745098
      limit_per_class: 23
      validation_split: 0.1
    loss: cross_entropy
    optimizer: {adam: {lr: 1.0e-3}}
    train: {epochs: 2, batch_size: \(batchSize), seed: 1, allreduce_bucket_mb: 0.1}

    """.write(toFile: spec, atomically: true, encoding: .utf8)
    return spec
  }

  /// Runs `nnc` under `mpirun -np ranks`, as the README documents for a container.
  static func mpiRun(_ mpirun: String, ranks: Int, _ arguments: [String]) throws -> NNCProcess.Result {
    let process = Process()
    process.executableURL = URL(fileURLWithPath: mpirun)
    process.arguments =
      ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "\(ranks)"]
      + [NNCProcess.productsDirectory.appendingPathComponent("nnc").path] + arguments
    process.currentDirectoryURL = NNCProcess.repositoryRoot
    var environment = ProcessInfo.processInfo.environment
    environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
    process.environment = environment
    let directory = try TrainingSupport.temporaryDirectory("mpirun-output")
    defer { try? FileManager.default.removeItem(at: directory) }
    let outURL = directory.appendingPathComponent("stdout")
    let errURL = directory.appendingPathComponent("stderr")
    _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
    _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
    process.standardOutput = try FileHandle(forWritingTo: outURL)
    process.standardError = try FileHandle(forWritingTo: errURL)
    process.standardInput = FileHandle.nullDevice
    try process.run()
    process.waitUntilExit()
    return NNCProcess.Result(
      status: process.terminationStatus,
      stdout: String(decoding: try Data(contentsOf: outURL), as: UTF8.self),
      stderr: String(decoding: try Data(contentsOf: errURL), as: UTF8.self))
  }

  @Test func twoRanksTrainTheWeightsOfOneProcessAcrossAResume() throws {
    guard let mpirun = Self.mpirun else {
      print("DataParallelTrainingTests skipped: mpirun is not installed (apt-get install openmpi-bin)")
      return
    }
    let directory = try TrainingSupport.temporaryDirectory("mpi")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try Self.lenetSpec(in: directory, batchSize: 32)
    let single = directory.appendingPathComponent("single")
    let alone = try NNCProcess.run(["train", spec, "--run-dir", single.path, "--threads", "1"])
    #expect(alone.status == 0, "\(alone.stderr)")

    // One epoch on two ranks, then the second after a resume, also on two ranks.
    let parallel = directory.appendingPathComponent("parallel")
    let first = try Self.mpiRun(
      mpirun, ranks: 2, ["train", spec, "--run-dir", parallel.path, "--threads", "1", "--epochs", "1"])
    #expect(first.status == 0, "\(first.stdout)\n\(first.stderr)")
    #expect(first.stdout.contains("data-parallel on 2 ranks: global batch 32, 16 samples per rank"))
    let resumed = try Self.mpiRun(
      mpirun, ranks: 2, ["train", spec, "--run-dir", parallel.path, "--threads", "1", "--resume"])
    #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")

    let expected = try Checkpoint.read(
      from: single.appendingPathComponent("checkpoint-last.safetensors").path)
    let actual = try Checkpoint.read(
      from: parallel.appendingPathComponent("checkpoint-last.safetensors").path)
    #expect(actual.epoch == 2)
    #expect(Set(actual.parameters.keys) == Set(expected.parameters.keys))
    for (name, tensor) in expected.parameters {
      let other = try #require(actual.parameters[name])
      let difference = zip(tensor.values, other.values).reduce(0.0) {
        $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1))
      }
      let norm = tensor.values.reduce(0.0) { $0 + Double($1 * $1) }
      #expect(difference.squareRoot() <= 1e-5 * norm.squareRoot(), "\(name): relative error too large")
    }
    // The weights moved, so the comparison means something.
    #expect(expected.optimizerStepCount == 2 * 7)
  }

  @Test func aGlobalBatchNotDivisibleByTheRanksIsRefusedOnEveryRank() throws {
    guard let mpirun = Self.mpirun else {
      print("DataParallelTrainingTests skipped: mpirun is not installed (apt-get install openmpi-bin)")
      return
    }
    let directory = try TrainingSupport.temporaryDirectory("mpi-odd")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try Self.lenetSpec(in: directory, batchSize: 31)
    let run = try Self.mpiRun(
      mpirun, ranks: 2,
      ["train", spec, "--run-dir", directory.appendingPathComponent("run").path, "--threads", "1"])
    #expect(run.status != 0)
    #expect(
      run.stderr.contains("train.batch_size 31 is the global batch and must be divisible by the 2 ranks"))
  }
}
