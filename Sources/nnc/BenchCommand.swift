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
      After a warm-up, times full training steps (forward, loss, backward, optimizer step) and inference
      batches for at least --seconds each. GFLOP/s counts a training step as three forward passes (the
      backward pass costs about two). Peak memory is the process's resident high-water mark per phase.
      """
  )

  @OptionGroup var options: SpecOptions
  @OptionGroup var optimization: OptimizationFlags

  @Option(help: "Batch size (default: train.batch_size).")
  var batchSize: Int?

  @Option(help: "Threads for matrix products (default: all cores).")
  var threads: Int?

  @Option(help: "Minimum seconds to measure each phase.")
  var seconds: Double = 3

  @Option(help: "Output format: text or json.")
  var format: OutputFormat = .text

  struct Phase: Encodable {
    var steps_per_second: Double
    var images_per_second: Double
    var gflops_per_second: Double
    var peak_resident_bytes: Int?
  }

  struct Report: Encodable {
    var model: String
    var batch_size: Int
    var threads: Int
    var optimized: Bool
    var disabled_passes: [String]
    var forward_flops_per_image: Int
    var training: Phase
    var inference: Phase
  }

  func validate() throws {
    if let batchSize, batchSize < 1 { throw ValidationError("--batch-size must be at least 1") }
    if let threads, threads < 1 { throw ValidationError("--threads must be at least 1") }
    guard seconds > 0, seconds.isFinite else { throw ValidationError("--seconds must be positive") }
  }

  func run() throws {
    var options = options
    if let batchSize { options.overrides.append("train.batch_size=\(batchSize)") }
    let loaded = try SpecPipeline.load(options)
    let configuration = TrainingConfiguration(spec: loaded.spec)
    let batch = configuration.batchSize
    let threadCount = threads ?? configuration.threads ?? ProcessInfo.processInfo.activeProcessorCount
    Executor.setBLASThreads(threadCount)
    let flops = loaded.graph.flopsPerSample
    let training = try measureTraining(loaded.graph, configuration: configuration, batch: batch)
    let inference = measureInference(loaded.graph, configuration: configuration, batch: batch)
    let report = Report(
      model: loaded.graph.name, batch_size: batch, threads: threadCount, optimized: !optimization.noOptimize,
      disabled_passes: optimization.disabledPasses, forward_flops_per_image: flops,
      training: Phase(
        steps_per_second: training.steps, images_per_second: training.steps * Double(batch),
        gflops_per_second: training.steps * Double(batch) * Double(3 * flops) / 1e9,
        peak_resident_bytes: training.peak),
      inference: Phase(
        steps_per_second: inference.steps, images_per_second: inference.steps * Double(batch),
        gflops_per_second: inference.steps * Double(batch) * Double(flops) / 1e9,
        peak_resident_bytes: inference.peak))
    switch format {
    case .json:
      let encoder = JSONEncoder()
      encoder.outputFormatting = [.prettyPrinted, .sortedKeys]
      print(String(decoding: try encoder.encode(report), as: UTF8.self))
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
      return String(
        format: "%@ %9.1f %@/s  %9.1f img/s  %6.1f GFLOP/s%@", name, phase.steps_per_second, unit,
        phase.images_per_second, phase.gflops_per_second, memory)
    }
    return """
      \(report.model): batch \(report.batch_size), \(report.threads) thread\(report.threads == 1 ? "" : "s"), \(mode)
      \(line("training: ", report.training, unit: "steps"))
      \(line("inference:", report.inference, unit: "batches"))
      """
  }

  /// Steps per second of full training steps, and the peak resident memory meanwhile.
  func measureTraining(_ graph: Graph, configuration: TrainingConfiguration, batch: Int) throws -> (
    steps: Double, peak: Int?
  ) {
    ResidentMemory.resetPeak()
    var options = optimization.options
    options.lossTakesLogits = RunComponents.lossTakesLogits(configuration.loss)
    let executor = Executor(
      graph: graph, maxBatch: batch, seed: 1,
      configuration: ExecutionConfiguration(mode: .training, optimization: options))
    var generator = RandomGenerator(seed: 1)
    try initialize(executor, generator: &generator)
    fillInput(executor, batch: batch, generator: &generator)
    let classes = executor.outputSampleCount
    let loss = RunComponents.loss(configuration.loss, outputIsLogits: executor.outputIsLogits)
    let labels = (0..<batch).map { _ in Int32(generator.next() % UInt64(max(classes, 2))) }
    let values = (0..<(batch * classes)).map { _ in generator.nextUniform() }
    var gradient = [Float](repeating: 0, count: batch * classes)
    var optimizer = try RunComponents.optimizer(configuration.optimizer)
    let trainable = executor.parameterLayout.filter { $0.info.trainable }
    optimizer.decayMask = trainable.map { $0.info.role == .weight }
    let parameters = trainable.map { executor.parameter($0) }
    let gradients = trainable.map { executor.gradient($0) }
    // A tiny rate keeps the weights (and so the work per step) essentially unchanged.
    let learningRate: Float = 1e-6
    func step() throws {
      executor.forward(batch: batch, training: true)
      let output = UnsafeBufferPointer(start: executor.output, count: batch * classes)
      _ = try gradient.withUnsafeMutableBufferPointer { gradient in
        try labels.withUnsafeBufferPointer { labels in
          try values.withUnsafeBufferPointer { values in
            try loss.evaluate(
              output: output, batch: batch, features: classes,
              targets: configuration.loss.name == "mse" ? .values(values) : .labels(labels),
              gradient: gradient)
          }
        }
      }
      gradient.withUnsafeBufferPointer {
        executor.outputGradient.update(from: $0.baseAddress!, count: batch * classes)
      }
      executor.zeroParameterGradients()
      executor.backward(batch: batch)
      try optimizer.step(parameters: parameters, gradients: gradients, learningRate: learningRate)
    }
    let rate = try timed(step)
    return (rate, ResidentMemory.peak())
  }

  /// Batches per second of inference forward passes, and the peak resident memory meanwhile.
  func measureInference(_ graph: Graph, configuration: TrainingConfiguration, batch: Int) -> (
    steps: Double, peak: Int?
  ) {
    ResidentMemory.resetPeak()
    let executor = Executor(
      graph: graph, maxBatch: batch, seed: 1,
      configuration: ExecutionConfiguration(mode: .inference, optimization: optimization.options))
    var generator = RandomGenerator(seed: 2)
    try? initialize(executor, generator: &generator)
    fillInput(executor, batch: batch, generator: &generator)
    let rate = (try? timed { executor.forward(batch: batch, training: false) }) ?? 0
    return (rate, ResidentMemory.peak())
  }

  /// Runs `body` twice to warm up, then until `seconds` have passed (at least three times); returns
  /// calls per second.
  func timed(_ body: () throws -> Void) throws -> Double {
    try body()
    try body()
    let start = DispatchTime.now().uptimeNanoseconds
    var calls = 0
    var elapsed = 0.0
    while calls < 3 || elapsed < seconds {
      try body()
      calls += 1
      elapsed = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    }
    return Double(calls) / elapsed
  }

  func initialize(_ executor: Executor, generator: inout RandomGenerator) throws {
    for slot in executor.parameterLayout {
      let buffer = executor.parameter(slot)
      if slot.info.role == .runningVariance {
        // Positive, so that inference through batchnorm is well defined.
        for index in buffer.indices { buffer[index] = generator.nextUniform(0.5, 1.5) }
      } else {
        try RunComponents.initializer(slot.info.initializer).fill(
          buffer, fanIn: slot.info.fanIn, fanOut: slot.info.fanOut, generator: &generator)
      }
    }
  }

  func fillInput(_ executor: Executor, batch: Int, generator: inout RandomGenerator) {
    for index in 0..<(batch * executor.inputSampleCount) { executor.input[index] = generator.nextUniform() }
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
