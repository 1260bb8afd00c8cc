import Foundation
import NNCTrain
import Testing

/// `mpirun -np 2 nnc train`: with the global batch cut into two equal parts and the gradients
/// averaged, two ranks end with the weights one process trains (up to the order of the sums), also
/// across a checkpoint and `--resume` under MPI. Skipped when Open MPI's `mpirun` is not installed.
@Suite struct DataParallelTrainingTests {
  static let mpirun = (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin").split(separator: ":")
    .map { "\($0)/mpirun" }.first { FileManager.default.isExecutableFile(atPath: $0) }

  /// LeNet-5 (no BatchNorm, no dropout) on 207 MNIST training samples: 7 batches of 32, the last
  /// one 15. With `batchNorm`, the convolutions and the first hidden dense layer lose their bias and
  /// are followed by batchnorm, then relu (as ResNet orders them), and `train.sync_batchnorm` is on.
  /// With `dropout`, a dropout layer follows the first two hidden dense layers; with `metrics`, the
  /// spec asks for metrics besides accuracy, which training computes on its predictions.
  static func lenetSpec(
    in directory: URL, batchSize: Int, batchNorm: Bool = false, dropout: Bool = false, metrics: Bool = false
  ) throws -> String {
    let data = NNCProcess.repositoryRoot.appendingPathComponent("Data/mnist5k").path
    let spec = directory.appendingPathComponent("lenet5.yaml").path
    func layer(_ arguments: String) -> String {
      batchNorm
        ? "{\(arguments), bias: false}\n    - batchnorm\n    - relu" : "{\(arguments), activation: relu}"
    }
    try """
    model:
      input: [1, 28, 28]
      layers:
        - conv2d: \(layer("filters: 6, kernel: 5, padding: 2"))
        - maxpool: 2
        - conv2d: \(layer("filters: 16, kernel: 5"))
        - maxpool: 2
        - flatten
        - dense: \(layer("units: 120"))\(dropout ? "\n    - dropout: 0.3" : "")
        - dense: {units: 84, activation: relu}\(dropout ? "\n    - dropout: 0.2" : "")
        - dense: 10
    data:
      format: idx
      train: {images: \(data)/train-images-idx3-ubyte, labels: \(data)/train-labels-idx1-ubyte}
      classes: 10
      scale: 0.00392156862745098
      limit_per_class: 23
      validation_split: 0.1
    loss: cross_entropy\(metrics ? "\nmetrics: [accuracy, f1, precision, roc_auc, log_loss, top_k_accuracy]" : "")
    optimizer: {adam: {lr: 1.0e-3}}
    train: {epochs: 2, batch_size: \(batchSize), seed: 1, allreduce_bucket_mb: 0.1, sync_batchnorm: \(batchNorm)}

    """.write(toFile: spec, atomically: true, encoding: .utf8)
    return spec
  }

  /// `nnc` started under `mpirun -np ranks`, as the README documents for a container, its output
  /// going to files in `directory`.
  struct MPIJob {
    let process: Process
    let directory: URL

    init(_ mpirun: String, ranks: Int, _ arguments: [String]) throws {
      process = Process()
      process.executableURL = URL(fileURLWithPath: mpirun)
      process.arguments =
        ["--allow-run-as-root", "--oversubscribe", "--bind-to", "none", "-np", "\(ranks)"]
        + [NNCProcess.productsDirectory.appendingPathComponent("nnc").path] + arguments
      process.currentDirectoryURL = NNCProcess.repositoryRoot
      var environment = ProcessInfo.processInfo.environment
      environment["OMPI_MCA_btl_vader_single_copy_mechanism"] = "none"
      process.environment = environment
      directory = try TrainingSupport.temporaryDirectory("mpirun-output")
      let outURL = directory.appendingPathComponent("stdout")
      let errURL = directory.appendingPathComponent("stderr")
      _ = FileManager.default.createFile(atPath: outURL.path, contents: nil)
      _ = FileManager.default.createFile(atPath: errURL.path, contents: nil)
      process.standardOutput = try FileHandle(forWritingTo: outURL)
      process.standardError = try FileHandle(forWritingTo: errURL)
      process.standardInput = FileHandle.nullDevice
      try process.run()
    }

    /// Waits for the job to end and returns its status and output.
    func finish() throws -> NNCProcess.Result {
      process.waitUntilExit()
      defer { try? FileManager.default.removeItem(at: directory) }
      return NNCProcess.Result(
        status: process.terminationStatus,
        stdout: String(
          decoding: try Data(contentsOf: directory.appendingPathComponent("stdout")), as: UTF8.self),
        stderr: String(
          decoding: try Data(contentsOf: directory.appendingPathComponent("stderr")), as: UTF8.self))
    }
  }

  /// Runs `nnc` under `mpirun -np ranks` to the end.
  static func mpiRun(_ mpirun: String, ranks: Int, _ arguments: [String]) throws -> NNCProcess.Result {
    try MPIJob(mpirun, ranks: ranks, arguments).finish()
  }

  /// Every tensor of `actual` within relative error 1e-5 (in the L2 norm) of `expected`'s.
  static func expectSameWeights(_ actual: Checkpoint, _ expected: Checkpoint) throws {
    #expect(Set(actual.parameters.keys) == Set(expected.parameters.keys))
    for (name, tensor) in expected.parameters {
      let other = try #require(actual.parameters[name])
      let difference = zip(tensor.values, other.values).reduce(0.0) {
        $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1))
      }
      let norm = tensor.values.reduce(0.0) { $0 + Double($1 * $1) }
      #expect(difference.squareRoot() <= 1e-5 * norm.squareRoot(), "\(name): relative error too large")
    }
  }

  /// With `train.sync_batchnorm`, the batchnorms of two ranks normalize with the global batch's
  /// statistics, so a BatchNorm model trains (weights and running statistics) as in one process;
  /// the last batch of 15 samples is split 7 and 8, so the ranks' shares differ in that step.
  @Test func synchronizedBatchNormTrainsTheWeightsOfOneProcess() throws {
    guard let mpirun = Self.mpirun else {
      print("DataParallelTrainingTests skipped: mpirun is not installed (apt-get install openmpi-bin)")
      return
    }
    let directory = try TrainingSupport.temporaryDirectory("mpi-syncbn")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try Self.lenetSpec(in: directory, batchSize: 32, batchNorm: true)
    let single = directory.appendingPathComponent("single")
    let alone = try NNCProcess.run(["train", spec, "--run-dir", single.path, "--threads", "1"])
    #expect(alone.status == 0, "\(alone.stderr)")
    let parallel = directory.appendingPathComponent("parallel")
    let run = try Self.mpiRun(
      mpirun, ranks: 2, ["train", spec, "--run-dir", parallel.path, "--threads", "1"])
    #expect(run.status == 0, "\(run.stdout)\n\(run.stderr)")
    let expected = try Checkpoint.read(
      from: single.appendingPathComponent("checkpoint-last.safetensors").path)
    let actual = try Checkpoint.read(
      from: parallel.appendingPathComponent("checkpoint-last.safetensors").path)
    #expect(actual.epoch == 2)
    #expect(expected.parameters.keys.contains { $0.hasSuffix("running_mean") })
    try Self.expectSameWeights(actual, expected)
    #expect(expected.optimizerStepCount == 2 * 7)

    // Without it, each rank normalizes with its own part's statistics: the run ends elsewhere.
    let perRank = directory.appendingPathComponent("per-rank")
    let unsynchronized = try Self.mpiRun(
      mpirun, ranks: 2,
      ["train", spec, "--run-dir", perRank.path, "--threads", "1", "--set", "train.sync_batchnorm=false"])
    #expect(unsynchronized.status == 0, "\(unsynchronized.stdout)\n\(unsynchronized.stderr)")
    let apart = try Checkpoint.read(from: perRank.appendingPathComponent("checkpoint-last.safetensors").path)
    let beta = try #require(expected.parameters["batchnorm.beta"]?.values)
    let other = try #require(apart.parameters["batchnorm.beta"]?.values)
    let difference = zip(beta, other).reduce(0.0) { $0 + Double(($1.0 - $1.1) * ($1.0 - $1.1)) }
    #expect(difference.squareRoot() > 1e-3 * beta.reduce(0.0) { $0 + Double($1 * $1) }.squareRoot())
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
    try Self.expectSameWeights(actual, expected)
    // The weights moved, so the comparison means something.
    #expect(expected.optimizerStepCount == 2 * 7)
  }

  /// `--resume` with another number of ranks continues the run as one process would: one epoch
  /// on 1 rank then the second on 2, and one epoch on 2 ranks then the second alone, both end with
  /// the weights of two epochs in one process.
  @Test func resumingWithAnotherNumberOfRanksContinuesTheRun() throws {
    guard let mpirun = Self.mpirun else {
      print("DataParallelTrainingTests skipped: mpirun is not installed (apt-get install openmpi-bin)")
      return
    }
    let directory = try TrainingSupport.temporaryDirectory("mpi-resize")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try Self.lenetSpec(in: directory, batchSize: 32)
    let single = directory.appendingPathComponent("single")
    let alone = try NNCProcess.run(["train", spec, "--run-dir", single.path, "--threads", "1"])
    #expect(alone.status == 0, "\(alone.stderr)")
    let expected = try Checkpoint.read(
      from: single.appendingPathComponent("checkpoint-last.safetensors").path)

    func train(ranks: Int, _ run: URL, _ extra: [String]) throws -> NNCProcess.Result {
      let arguments = ["train", spec, "--run-dir", run.path, "--threads", "1"] + extra
      return ranks == 1 ? try NNCProcess.run(arguments) : try Self.mpiRun(mpirun, ranks: ranks, arguments)
    }
    for (first, second) in [(1, 2), (2, 1)] {
      let run = directory.appendingPathComponent("run-\(first)-\(second)")
      let start = try train(ranks: first, run, ["--epochs", "1"])
      #expect(start.status == 0, "\(start.stdout)\n\(start.stderr)")
      let resumed = try train(ranks: second, run, ["--resume"])
      #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
      let actual = try Checkpoint.read(from: run.appendingPathComponent("checkpoint-last.safetensors").path)
      #expect(actual.epoch == 2)
      #expect(actual.optimizerStepCount == expected.optimizerStepCount)
      try Self.expectSameWeights(actual, expected)
    }
  }

  /// The processes whose parent is `parent` (the ranks `mpirun` started on this machine).
  static func children(of parent: Int32) -> [Int32] {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.compactMap { entry -> Int32? in
      guard let pid = Int32(entry),
        let stat = try? String(contentsOfFile: "/proc/\(entry)/stat", encoding: .utf8),
        let close = stat.lastIndex(of: ")")
      else { return nil }
      // After "pid (comm) ": the state, then the parent's pid.
      let fields = stat[stat.index(after: close)...].split(separator: " ")
      return fields.count > 1 && Int32(fields[1]) == parent ? pid : nil
    }
  }

  /// SIGINT to the ranks (and to `mpirun`) stops every rank at the same step: the job ends without
  /// hanging, `checkpoint-last` holds a completed epoch and `--resume` finishes the run. (The test
  /// runner's threads block SIGINT and SIGTERM and `mpirun` inherits that mask, so here it would not
  /// pass on a signal sent to it alone, as it does from a shell: the README's Ctrl-C case.)
  @Test func anInterruptedJobStopsEveryRankAndResumes() throws {
    guard let mpirun = Self.mpirun else {
      print("DataParallelTrainingTests skipped: mpirun is not installed (apt-get install openmpi-bin)")
      return
    }
    let directory = try TrainingSupport.temporaryDirectory("mpi-sigint")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try Self.lenetSpec(in: directory, batchSize: 32)
    let run = directory.appendingPathComponent("run")
    let checkpoint = run.appendingPathComponent("checkpoint-last.safetensors")
    let job = try MPIJob(
      mpirun, ranks: 2, ["train", spec, "--run-dir", run.path, "--threads", "1", "--epochs", "500"])
    let deadline = Date().addingTimeInterval(300)
    while !FileManager.default.fileExists(atPath: checkpoint.path), job.process.isRunning, Date() < deadline {
      Thread.sleep(forTimeInterval: 0.05)
    }
    #expect(job.process.isRunning, "the job ended before it could be interrupted")
    Thread.sleep(forTimeInterval: 0.3)
    let ranks = Self.children(of: job.process.processIdentifier)
    #expect(ranks.count == 2, "ranks found: \(ranks)")
    for rank in ranks { kill(rank, SIGINT) }
    job.process.interrupt()
    // A hang is a failure, not a stuck test: the job gets a minute to end.
    let stopDeadline = Date().addingTimeInterval(60)
    while job.process.isRunning, Date() < stopDeadline { Thread.sleep(forTimeInterval: 0.05) }
    let hung = job.process.isRunning
    if hung { kill(job.process.processIdentifier, SIGKILL) }
    let result = try job.finish()
    #expect(!hung, "mpirun did not end within a minute of SIGINT")
    #expect(result.status != 0)
    #expect(result.stderr.contains("interrupted by SIGINT"), "\(result.stderr)")
    let saved = try Checkpoint.read(from: checkpoint.path)
    #expect(saved.epoch >= 1 && saved.epoch < 500)
    // The interrupted epoch is abandoned: the run continues from the saved one.
    let resumed = try Self.mpiRun(
      mpirun, ranks: 2,
      ["train", spec, "--run-dir", run.path, "--threads", "1", "--epochs", "\(saved.epoch + 1)", "--resume"])
    #expect(resumed.status == 0, "\(resumed.stdout)\n\(resumed.stderr)")
    #expect(try Checkpoint.read(from: checkpoint.path).epoch == saved.epoch + 1)
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

  struct BenchReport: Decodable {
    struct Phase: Decodable {
      var images_per_second: Double
      var communication_share: Double?
    }
    var ranks: Int?
    var allreduce_bytes_per_step: Int?
    var training: Phase?
    var inference: Phase?
  }

  struct AllreduceReport: Decodable {
    struct Row: Decodable {
      var bytes: Int
      var what: String
      var milliseconds: Double
      var algorithm_gb_per_second: Double
      var bus_gb_per_second: Double
    }
    var ranks: Int
    var gradient_bytes: Int
    var bucket_bytes: Int
    var sizes: [Row]
    var fitted_latency_microseconds: Double
    var fitted_bus_gb_per_second: Double
    var one_float_microseconds: Double
  }

  struct ParameterCounts: Decodable {
    struct Params: Decodable { var trainable: Int }
    var params: Params
  }

  static func trainableBytes(_ spec: String) throws -> Int {
    let check = try NNCProcess.run(["check", spec, "--format", "json"])
    return try JSONDecoder().decode(ParameterCounts.self, from: Data(check.stdout.utf8)).params.trainable * 4
  }

  /// Under mpirun, `bench` times the data-parallel step: one report (rank 0's), with the ranks, the
  /// gradient bytes each step all-reduces and the step's share in the all-reduce.
  @Test func benchUnderMPITimesTheDistributedStep() throws {
    guard let mpirun = Self.mpirun else {
      print("DataParallelTrainingTests skipped: mpirun is not installed (apt-get install openmpi-bin)")
      return
    }
    let directory = try TrainingSupport.temporaryDirectory("mpi-bench")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try Self.lenetSpec(in: directory, batchSize: 32)
    let run = try Self.mpiRun(
      mpirun, ranks: 2, ["bench", spec, "--threads", "1", "--seconds", "0.2", "--format", "json"])
    #expect(run.status == 0, "\(run.stderr)")
    let report = try JSONDecoder().decode(BenchReport.self, from: Data(run.stdout.utf8))
    #expect(report.ranks == 2)
    #expect(report.allreduce_bytes_per_step == (try Self.trainableBytes(spec)))
    let share = try #require(report.training?.communication_share)
    #expect(share > 0 && share < 1)
    #expect((report.training?.images_per_second ?? 0) > 0)
    #expect((report.inference?.images_per_second ?? 0) > 0)
  }

  /// `--allreduce-bandwidth` times every size from one float to 64 MiB plus the model's gradients and
  /// one bucket, in order, and fits a latency and a bandwidth; alone it is refused.
  @Test func allreduceBandwidthTimesEverySizeAndFitsTheRing() throws {
    guard let mpirun = Self.mpirun else {
      print("DataParallelTrainingTests skipped: mpirun is not installed (apt-get install openmpi-bin)")
      return
    }
    let directory = try TrainingSupport.temporaryDirectory("mpi-allreduce")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try Self.lenetSpec(in: directory, batchSize: 32)
    let gradientBytes = try Self.trainableBytes(spec)
    let run = try Self.mpiRun(
      mpirun, ranks: 2,
      ["bench", spec, "--allreduce-bandwidth", "--threads", "1", "--seconds", "0.5", "--format", "json"])
    #expect(run.status == 0, "\(run.stderr)")
    let report = try JSONDecoder().decode(AllreduceReport.self, from: Data(run.stdout.utf8))
    #expect(report.ranks == 2)
    #expect(report.gradient_bytes == gradientBytes)
    // The spec's 0.1 MiB buckets, rounded down to whole floats.
    #expect(report.bucket_bytes == 104_857)
    let sizes = report.sizes.map(\.bytes)
    #expect(sizes == sizes.sorted())
    for fixed in [4, 64, 512, 4 << 10, 64 << 10, 1 << 20, 4 << 20, 16 << 20, 64 << 20] {
      #expect(sizes.contains(fixed), "\(sizes)")
    }
    #expect(report.sizes.first { $0.what == "the model's gradients" }?.bytes == gradientBytes)
    #expect(report.sizes.first { $0.what == "one bucket" }?.bytes == 104_856)
    #expect(report.sizes.count == 11)
    for row in report.sizes {
      #expect(row.milliseconds > 0)
      // Two ranks: each link carries 2·(K−1)/K = 1 times the buffer.
      #expect(abs(row.bus_gb_per_second - row.algorithm_gb_per_second) <= 1e-9 * row.algorithm_gb_per_second)
      #expect(abs(row.algorithm_gb_per_second - Double(row.bytes) / (row.milliseconds / 1000) / 1e9) < 1e-6)
    }
    #expect(report.fitted_bus_gb_per_second > 0)
    #expect(report.fitted_latency_microseconds >= 0)
    #expect(report.one_float_microseconds > 0)

    let alone = try NNCProcess.run(["bench", spec, "--allreduce-bandwidth"])
    #expect(alone.status == 1)
    #expect(alone.stderr.contains("run it under mpirun with at least 2 ranks"), "\(alone.stderr)")
  }
}
