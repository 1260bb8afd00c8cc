import ArgumentParser
import Foundation
import NNCGraph
import NNCRandom
import NNCRuntime
import NNCSpec
import NNCTrain

struct BenchCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "bench",
    abstract: "Measure training and inference speed and memory of a spec's model on random data.",
    discussion: """
      After a warm-up, times full training steps (forward, loss, backward, optimizer step) and inference \
      batches for at least --seconds each. GFLOP/s counts a training step as three forward passes (the \
      backward pass costs about two). Peak memory is the process's resident high-water mark per phase. \
      With --profile, also prints where a training step's time goes: milliseconds per step for each \
      kind of node (forward and backward), the loss, zeroing the gradients and the optimizer step; and \
      where an inference batch's time goes: milliseconds per batch for each kind of node (with \
      --inference, the inference profile only).

      Under mpirun the training step is the data-parallel one: the batch is the global batch, cut \
      into one part per rank, and the report adds the share of the step spent in the gradient \
      all-reduce. With --allreduce-bandwidth (under mpirun), times all-reduces of the model's \
      gradients and of other sizes instead, and fits a latency and a bandwidth to them.
      """
  )

  @OptionGroup var options: SpecOptions
  @OptionGroup var optimization: OptimizationFlags
  @OptionGroup var memoryLimit: MemoryLimitOptions

  @Option(help: "Batch size (default: train.batch_size).")
  var batchSize: Int?

  @Option(help: "Threads for matrix products (default: all cores).")
  var threads: Int?

  @Option(help: "Minimum seconds to measure each phase.")
  var seconds: Double = 3

  @Option(help: "Output format: text or json.")
  var format: OutputFormat = .text

  @Flag(
    help:
      "Also print the time per kind of node of a training step (unless --inference) and of an inference batch."
  )
  var profile = false

  @Flag(help: "Under mpirun: time all-reduces of the model's gradient size and of other sizes.")
  var allreduceBandwidth = false

  @Flag(help: "Time inference batches only, without training steps.")
  var inference = false

  struct Phase: Encodable {
    var steps_per_second: Double
    var images_per_second: Double
    var gflops_per_second: Double
    var peak_resident_bytes: Int?
    /// Process CPU time per wall-clock second while measuring: how many cores were busy on average.
    var busy_cores: Double
    /// Under mpirun: the share of the training step spent in the gradient all-reduce (mean over
    /// the ranks, waiting for the slowest rank included).
    var communication_share: Double?
  }

  /// Milliseconds per training step spent in one kind of node or one phase of the step.
  struct ProfileRow: Encodable {
    var kind: String
    var nodes: Int
    var forward_ms: Double
    var backward_ms: Double
  }

  /// Milliseconds per inference batch spent in one kind of node.
  struct InferenceProfileRow: Encodable {
    var kind: String
    var nodes: Int
    var ms: Double
  }

  struct Report: Encodable {
    var model: String
    var batch_size: Int
    var threads: Int
    var optimized: Bool
    var disabled_passes: [String]
    var forward_flops_per_image: Int
    /// Absent with --inference.
    var training: Phase?
    var inference: Phase
    var training_profile: [ProfileRow]?
    var inference_profile: [InferenceProfileRow]?
    /// Under mpirun: the ranks, and the bytes each all-reduces per training step.
    var ranks: Int?
    var allreduce_bytes_per_step: Int?
  }

  func validate() throws {
    if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    guard seconds > 0, seconds.isFinite else { throw ValidationError("--seconds must be positive") }
  }

  func run() throws {
    // Under mpirun every rank benches its part of the step; rank 0 prints the report.
    guard let world = try MPICommunicator.fromEnvironment() else {
      return try bench(communicator: SingleProcess())
    }
    if !world.isRoot { Console.silenceStandardOutput() }
    do {
      try bench(communicator: world)
    } catch {
      world.abort(
        error is ExitCode ? "stopping every rank after the error above" : "\(error); stopping every rank")
    }
    world.finish()
  }

  func bench(communicator: any Communicator) throws {
    JSONErrorOutput.enable(format)
    SignalHandling.installExitAtOnce()
    var options = options
    if let batchSize { options.overrides.append("train.batch_size=\(batchSize)") }
    let loaded = try SpecPipeline.load(options)
    let configuration = TrainingConfiguration(spec: loaded.spec)
    let batch = configuration.batchSize
    let ranks = communicator.size
    guard batch % ranks == 0 else {
      throw fail(
        "the batch \(batch) is the global batch and must be divisible by the \(ranks) ranks of mpirun")
    }
    // Training and inference run one after the other: the larger must fit.
    let needs = try (inference ? [GraphMode.inference] : [GraphMode.training, .inference]).map { mode in
      try memoryLimit.estimate(
        graph: loaded.graph, configuration: configuration, mode: mode, data: nil,
        optimization: optimization.options)
    }
    try memoryLimit.enforce(needs.dropFirst().reduce(needs[0], MemoryEstimate.larger), command: "bench")
    let threadCount = threads ?? configuration.threads ?? ProcessInfo.processInfo.activeProcessorCount
    Executor.setBLASThreads(threadCount)
    if allreduceBandwidth {
      return try AllreduceBandwidth(communicator: communicator, seconds: seconds, format: format)
        .measure(graph: loaded.graph, configuration: configuration)
    }
    let flops = loaded.graph.flopsPerSample
    let training =
      inference
      ? nil
      : try measureTraining(
        loaded.graph, configuration: configuration, batch: batch / ranks, communicator: communicator)
    var inferenceRun = measureInference(loaded.graph, configuration: configuration, batch: batch / ranks)
    if communicator.isDistributed {
      // Every rank runs inference on its part at once: the images of all ranks count.
      var rates = [inferenceRun.steps]
      try communicator.sum(&rates)
      inferenceRun.steps = rates[0] / Double(ranks)
    }
    let report = Report(
      model: loaded.graph.name, batch_size: batch, threads: threadCount, optimized: !optimization.noOptimize,
      disabled_passes: optimization.disabledPasses, forward_flops_per_image: flops,
      training: training.map { training in
        Phase(
          steps_per_second: training.steps, images_per_second: training.steps * Double(batch),
          gflops_per_second: training.steps * Double(batch) * Double(3 * flops) / 1e9,
          peak_resident_bytes: training.peak, busy_cores: training.busyCores,
          communication_share: training.communicationShare)
      },
      inference: Phase(
        steps_per_second: inferenceRun.steps, images_per_second: inferenceRun.steps * Double(batch),
        gflops_per_second: inferenceRun.steps * Double(batch) * Double(flops) / 1e9,
        peak_resident_bytes: inferenceRun.peak, busy_cores: inferenceRun.busyCores),
      training_profile: training?.profile, inference_profile: inferenceRun.profile,
      ranks: communicator.isDistributed ? ranks : nil,
      allreduce_bytes_per_step: training?.allreduceBytes)
    switch format {
    case .json:
      print(try reportJSON(report))
    case .text:
      print(text(report))
    }
  }

  func text(_ report: Report) -> String {
    var mode = report.optimized ? "optimized" : "not optimized"
    if !report.disabled_passes.isEmpty {
      mode += " without " + report.disabled_passes.joined(separator: ", ")
    }
    func line(_ name: String, _ phase: Phase, unit: String) -> String {
      let memory = phase.peak_resident_bytes.map { ", peak " + MemoryPlanPrinter.bytesText($0) } ?? ""
      let communication = phase.communication_share.map {
        String(format: ", %.1f%% of the step in all-reduce", 100 * $0)
      }
      return String(
        format: "%@ %9.1f %@/s  %9.1f img/s  %6.1f GFLOP/s, %.2f cores busy%@%@", name,
        phase.steps_per_second, unit, phase.images_per_second, phase.gflops_per_second, phase.busy_cores,
        memory, communication ?? "")
    }
    let batch = report.ranks.map { "\(report.batch_size) (\($0) ranks × \(report.batch_size / $0))" }
    let threads =
      "\(report.threads) thread\(report.threads == 1 ? "" : "s")\(report.ranks == nil ? "" : " per rank")"
    var text = "\(report.model): batch \(batch ?? String(report.batch_size)), \(threads), \(mode)"
    if let training = report.training { text += "\n" + line("training: ", training, unit: "steps") }
    text += "\n" + line("inference:", report.inference, unit: "batches")
    if let rows = report.training_profile { text += "\n" + profileText(rows) }
    if let rows = report.inference_profile { text += "\n" + inferenceProfileText(rows) }
    return text
  }

  /// The profile as a table, largest total first, with each row's share of the profiled time.
  func profileText(_ rows: [ProfileRow]) -> String {
    let total = rows.reduce(0) { $0 + $1.forward_ms + $1.backward_ms }
    let width = max(24, rows.map(\.kind.count).max() ?? 0)
    func padded(_ text: String, _ count: Int, left: Bool = false) -> String {
      let fill = String(repeating: " ", count: max(0, count - text.count))
      return left ? text + fill : fill + text
    }
    func number(_ value: Double) -> String { padded(String(format: "%.2f", value), 9) }
    var lines = [
      "training step profile (ms per step):",
      "  " + padded("kind", width, left: true) + padded("nodes", 6) + padded("forward", 10)
        + padded("backward", 10) + padded("total", 10) + padded("share", 8),
    ]
    for row in rows.sorted(by: { $0.forward_ms + $0.backward_ms > $1.forward_ms + $1.backward_ms }) {
      let sum = row.forward_ms + row.backward_ms
      let share = String(format: "%.1f%%", total > 0 ? 100 * sum / total : 0)
      lines.append(
        "  " + padded(row.kind, width, left: true) + padded(row.nodes > 0 ? String(row.nodes) : "", 6)
          + " " + number(row.forward_ms) + " " + number(row.backward_ms) + " " + number(sum)
          + padded(share, 8))
    }
    lines.append("  " + padded("all", width, left: true) + padded("", 26) + " " + number(total))
    return lines.joined(separator: "\n")
  }

  /// The inference profile as a table, largest first, with each row's share of the profiled time.
  func inferenceProfileText(_ rows: [InferenceProfileRow]) -> String {
    let total = rows.reduce(0) { $0 + $1.ms }
    let width = max(24, rows.map(\.kind.count).max() ?? 0)
    func padded(_ text: String, _ count: Int, left: Bool = false) -> String {
      let fill = String(repeating: " ", count: max(0, count - text.count))
      return left ? text + fill : fill + text
    }
    var lines = [
      "inference batch profile (ms per batch):",
      "  " + padded("kind", width, left: true) + padded("nodes", 6) + padded("ms", 10) + padded("share", 8),
    ]
    for row in rows.sorted(by: { $0.ms > $1.ms }) {
      let share = String(format: "%.1f%%", total > 0 ? 100 * row.ms / total : 0)
      lines.append(
        "  " + padded(row.kind, width, left: true) + padded(String(row.nodes), 6) + " "
          + padded(String(format: "%.2f", row.ms), 9) + padded(share, 8))
    }
    lines.append(
      "  " + padded("all", width, left: true) + padded("", 6) + " " + padded(String(format: "%.2f", total), 9)
    )
    return lines.joined(separator: "\n")
  }

  /// Steps per second of full training steps, and the peak resident memory meanwhile; under
  /// mpirun, of the data-parallel step (`batch` is this rank's part), with the share of it spent in
  /// the gradient all-reduce and the bytes all-reduced per step.
  func measureTraining(
    _ graph: Graph, configuration: TrainingConfiguration, batch: Int, communicator: any Communicator
  ) throws -> (
    steps: Double, busyCores: Double, peak: Int?, profile: [ProfileRow]?, communicationShare: Double?,
    allreduceBytes: Int?
  ) {
    ResidentMemory.resetPeak()
    let benchmark = try TrainingBenchmark(
      graph: graph, configuration: configuration, batch: batch, optimization: optimization.options,
      communicator: communicator)
    let averager = benchmark.step.averager
    var communication = (seconds: 0.0, bytes: 0, steps: 0)
    let (rate, busyCores) = try timed(communicator) {
      try benchmark.run()
    } started: {
      communication = (averager?.communicationSeconds ?? 0, averager?.communicatedBytes ?? 0, 0)
    } counted: {
      communication.steps += 1
    }
    var communicationShare: Double?
    var allreduceBytes: Int?
    if let averager, communication.steps > 0 {
      // The mean over the ranks of the all-reduce's seconds per step over the step's.
      let perStep = (averager.communicationSeconds - communication.seconds) / Double(communication.steps)
      var shares = [perStep * rate]
      try communicator.sum(&shares)
      communicationShare = shares[0] / Double(communicator.size)
      allreduceBytes = (averager.communicatedBytes - communication.bytes) / communication.steps
    }
    let peak = ResidentMemory.peak()
    guard profile else { return (rate, busyCores, peak, nil, communicationShare, allreduceBytes) }
    // A separate run, so that the clock reads do not touch the rate above.
    let nodeProfile = ExecutionProfile()
    let stepProfile = StepProfile()
    benchmark.executor.profile = nodeProfile
    benchmark.step.profile = stepProfile
    try benchmark.run()
    nodeProfile.reset()
    stepProfile.reset()
    var steps = 0
    let start = DispatchTime.now().uptimeNanoseconds
    while try continues(
      communicator, steps < 3 || Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds)
    {
      try benchmark.run()
      steps += 1
    }
    let perStep = 1000 / Double(steps)
    var rows = nodeProfile.entries.map { entry in
      ProfileRow(
        kind: entry.kind, nodes: entry.nodes, forward_ms: entry.forwardSeconds * perStep,
        backward_ms: entry.backwardSeconds * perStep)
    }
    let phases = [
      ("loss", stepProfile.lossSeconds), ("zero gradients", stepProfile.zeroSeconds),
      ("optimizer step", stepProfile.updateSeconds),
    ]
    for (name, seconds) in phases {
      rows.append(ProfileRow(kind: name, nodes: 0, forward_ms: seconds * perStep, backward_ms: 0))
    }
    return (
      rate, busyCores, peak, rows.filter { $0.forward_ms + $0.backward_ms > 0 || $0.nodes > 0 },
      communicationShare, allreduceBytes
    )
  }

  /// Rank 0's `decision` on every rank: the ranks of a data-parallel bench run the same number of
  /// steps, or one would wait forever in an all-reduce the others never start.
  func continues(_ communicator: any Communicator, _ decision: Bool) throws -> Bool {
    guard communicator.isDistributed else { return decision }
    var flag = [communicator.isRoot && decision ? 1.0 : 0]
    try communicator.sum(&flag)
    return flag[0] > 0
  }

  /// Batches per second of inference forward passes, and the peak resident memory meanwhile; with
  /// --profile, then milliseconds per batch for each kind of node.
  func measureInference(_ graph: Graph, configuration: TrainingConfiguration, batch: Int) -> (
    steps: Double, busyCores: Double, peak: Int?, profile: [InferenceProfileRow]?
  ) {
    ResidentMemory.resetPeak()
    let executor = Executor(
      graph: graph, maxBatch: batch, seed: 1,
      configuration: ExecutionConfiguration(
        mode: .inference, optimization: optimization.options, cachesPreparedWeights: true))
    var generator = RandomGenerator(seed: 2)
    try? TrainingBenchmark.initialize(executor, generator: &generator)
    TrainingBenchmark.fillInput(executor, batch: batch, generator: &generator)
    let (rate, busyCores) = (try? timed { executor.forward(batch: batch, training: false) }) ?? (0, 0)
    let peak = ResidentMemory.peak()
    guard profile else { return (rate, busyCores, peak, nil) }
    // A separate run, so that the clock reads do not touch the rate above.
    let nodeProfile = ExecutionProfile()
    executor.profile = nodeProfile
    executor.forward(batch: batch, training: false)
    nodeProfile.reset()
    var batches = 0
    let start = DispatchTime.now().uptimeNanoseconds
    while batches < 3 || Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 < seconds {
      executor.forward(batch: batch, training: false)
      batches += 1
    }
    let perBatch = 1000 / Double(batches)
    let rows = nodeProfile.entries.map { entry in
      InferenceProfileRow(kind: entry.kind, nodes: entry.nodes, ms: entry.forwardSeconds * perBatch)
    }
    return (rate, busyCores, peak, rows)
  }

  /// Runs `body` twice to warm up, then until `seconds` have passed (at least three times); returns
  /// calls per second and the process's CPU seconds per second meanwhile. Under mpirun rank 0
  /// decides when to stop (see `continues`). `started` runs after the warm-up, `counted` after each
  /// timed call.
  func timed(
    _ communicator: any Communicator = SingleProcess(), _ body: () throws -> Void,
    started: () -> Void = {}, counted: () -> Void = {}
  ) throws -> (rate: Double, busyCores: Double) {
    try body()
    try body()
    started()
    let start = DispatchTime.now().uptimeNanoseconds
    let startCPU = ProcessorTime.seconds()
    var calls = 0
    var elapsed = 0.0
    while try continues(communicator, calls < 3 || elapsed < seconds) {
      try body()
      counted()
      calls += 1
      elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    return (Double(calls) / elapsed, (ProcessorTime.seconds() - startCPU) / elapsed)
  }
}

/// The process's resident-set high-water mark (Linux `/proc/self/status`, `VmHWM`).
enum ResidentMemory {
  /// Restarts the high-water mark from the current resident size (writing 5 to clear_refs).
  static func resetPeak() {
    if let handle = FileHandle(forWritingAtPath: "/proc/self/clear_refs") {
      handle.write(Data("5".utf8))
      try? handle.close()
    }
  }

  static func peak() -> Int? {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8),
      let line = status.split(separator: "\n").first(where: { $0.hasPrefix("VmHWM:") }),
      let kilobytes = Int(line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first ?? "")
    else { return nil }
    return kilobytes * 1024
  }
}

/// CPU time (user and system) the process has used, all threads together.
enum ProcessorTime {
  static func seconds() -> Double {
    var usage = rusage()
    getrusage(RUSAGE_SELF.rawValue, &usage)
    let user = Double(usage.ru_utime.tv_sec) + Double(usage.ru_utime.tv_usec) / 1e6
    let system = Double(usage.ru_stime.tv_sec) + Double(usage.ru_stime.tv_usec) / 1e6
    return user + system
  }
}
