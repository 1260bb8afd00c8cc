import NNCGraph
import Testing

@testable import NNCRuntime

/// Every buffer kind the executor allocates: convolutions (scratch, kept weights), max pooling
/// (indices), batchnorm and dropout (saved), a shortcut (contribution) and a frozen layer (no
/// gradient).
private let everyBufferModel = """
  model:
    input: [3, 8, 8]
    layers:
      - conv2d: {filters: 8, kernel: 3, padding: same, activation: relu, trainable: false}
      - batchnorm
      - maxpool: 2
      - conv2d: {filters: 16, kernel: 3, padding: same}
      - dropout: 0.5
      - flatten
      - dense: {units: 10, activation: softmax}
  """

@Suite struct MemoryEstimateTests {
  @Test(arguments: [ExecutionConfiguration.training, .inference], [1, 5])
  func estimateEqualsWhatTheExecutorAllocates(_ configuration: ExecutionConfiguration, batch: Int) throws {
    let plan = try ExecutionPlanner.plan(
      graph: try graph(everyBufferModel), configuration: configuration, maxBatch: batch)
    let estimate = MemoryEstimate(plan: plan)
    let executor = Executor(plan: plan)
    #expect(estimate.totalBytes == executor.allocatedBytes)
    #expect(estimate.bytes(of: .parameters) == 4 * executor.parameterCount)
    #expect(estimate.bytes(of: .activations) == executor.memoryPlan.arenaElements * 4)
    if configuration.mode == .training {
      #expect(estimate.bytes(of: .gradients) == 4 * executor.trainableParameterCount)
      #expect(executor.trainableParameterCount < executor.parameterCount)
    }
  }

  @Test func optimizerStateCountsCopiesOfTheTrainableParametersPerLayer() throws {
    let plan = try ExecutionPlanner.plan(
      graph: try graph(everyBufferModel), configuration: .training, maxBatch: 2)
    let plain = MemoryEstimate(plan: plan)
    let adam = MemoryEstimate(plan: plan, optimizerStateCopies: 2)
    #expect(plain.bytes(of: .optimizerState) == 0)
    #expect(adam.bytes(of: .optimizerState) == 2 * 4 * plan.trainableParameterCount)
    #expect(adam.totalBytes == plain.totalBytes + 8 * plan.trainableParameterCount)
    let owners = adam.parts.filter { $0.kind == .optimizerState }.compactMap(\.owner)
    #expect(owners.count == 3 && !owners.contains(plan.sourceGraph.nodes[1].name))
  }

  /// A layer above `PackedDense`'s limit: no packed copy for evaluations joins the kernel scratch.
  @Test func largestPartsNameTheirLayer() throws {
    let plan = try ExecutionPlanner.plan(
      graph: try graph("model:\n  input: [2100]\n  layers:\n    - dense: 2000\n    - dense: 2\n"),
      configuration: .training, maxBatch: 1)
    #expect(!PackedDense.runs(inFeatures: 2100, outFeatures: 2000))
    let estimate = MemoryEstimate(plan: plan, optimizerStateCopies: 2)
    let largest = estimate.largest(2)
    #expect(largest.map(\.description) == ["optimizer state of 'dense'", "parameters of 'dense'"])
    #expect(largest[1].bytes == 4 * 4_202_000)
  }

  /// A dense layer within `PackedDense`'s limit: a training plan's scratch holds its packed weights
  /// for evaluations (and the transposed inputs), an inference plan that caches prepared weights
  /// keeps them instead.
  @Test func evaluationsOfSmallDenseLayersReserveTheirPackedWeights() throws {
    let model = try graph("model:\n  input: [1000]\n  layers:\n    - dense: 1000\n    - dense: 2\n")
    let packed = PackedDense.packedWeightCount(inFeatures: 1000, outFeatures: 1000)
    #expect(packed == 1000 * 1008)
    let training = try ExecutionPlanner.plan(graph: model, configuration: .training, maxBatch: 3)
    #expect(training.bufferSizes.scratch >= packed + PackedDense.scratchCount(batch: 3, inFeatures: 1000))
    #expect(training.bufferSizes.keptWeights == 0)
    let cached = try ExecutionPlanner.plan(
      graph: model, configuration: ExecutionConfiguration(mode: .inference, cachesPreparedWeights: true),
      maxBatch: 3)
    #expect(cached.bufferSizes.keptWeights >= packed)
    #expect(cached.bufferSizes.scratch < packed)
  }

  @Test func overflowingSizesSaturate() {
    var estimate = MemoryEstimate()
    estimate.add(.parameters, owner: "huge", elements: Int.max / 2, elementBytes: 4)
    estimate.add(.data, owner: "train", elements: 10, elementBytes: 4)
    #expect(estimate.overflows && estimate.totalBytes == Int.max)
    #expect(MemoryEstimate.bytesText(estimate.totalBytes) == "more than 8.0 EiB")
    let budget = MemoryBudget(availableBytes: Int.max - 1, source: "--max-memory")
    #expect(budget.refusal(estimate, command: "train")?.contains("parameters of 'huge'") == true)
  }

  @Test func refusalNamesTotalLimitAndLargestPart() throws {
    var estimate = MemoryEstimate()
    estimate.add(.parameters, owner: "dense", elements: 1 << 30, elementBytes: 4)
    estimate.add(.activations, elements: 1 << 20, elementBytes: 4)
    let refusal = try #require(
      MemoryBudget(availableBytes: 1 << 30, source: "--max-memory").refusal(estimate, command: "train"))
    #expect(refusal.contains("about 4.0 GiB"))
    #expect(refusal.contains("more than the 1.0 GiB available (--max-memory)"))
    #expect(refusal.contains("largest parts: parameters of 'dense' 4.0 GiB, activation arena 4.0 MiB"))
    #expect(
      MemoryBudget(availableBytes: 5 << 30, source: "MemAvailable").refusal(estimate, command: "x") == nil)
  }
}

@Suite struct MemoryBudgetTests {
  @Test func sizesParseWithBinarySuffixes() {
    let cases: [(String, Int)] = [
      ("4096", 4096), ("1K", 1024), ("1k", 1024), ("512M", 512 << 20), ("8G", 8 << 30), ("2T", 2 << 40),
      ("8GB", 8 << 30), ("8GiB", 8 << 30), ("100B", 100), (" 3M ", 3 << 20),
    ]
    for (text, bytes) in cases { #expect(MemoryBudget.parseSize(text) == bytes, "\(text)") }
    for text in ["", "G", "-1", "1.5G", "8X", "abc", "0x10", "99999999999999999999", "9000000000G", "٣K"] {
      #expect(MemoryBudget.parseSize(text) == nil, "\(text)")
    }
  }

  @Test func memAvailableIsReadFromMeminfo() {
    let meminfo = """
      MemTotal:       16318412 kB
      MemFree:         1203996 kB
      MemAvailable:    9348212 kB
      Buffers:          402444 kB
      """
    #expect(MemoryBudget.memAvailable(meminfo: meminfo) == 9_348_212 * 1024)
    #expect(MemoryBudget.memAvailable(meminfo: "MemTotal: 100 kB\n") == nil)
    #expect(MemoryBudget.memAvailable(meminfo: "MemAvailable: lots kB\n") == nil)
  }

  @Test func cgroupLimitsAndUsage() {
    #expect(MemoryBudget.cgroupLimit("max\n") == nil)
    #expect(MemoryBudget.cgroupLimit("2147483648\n") == 2_147_483_648)
    // cgroup v1 without a limit.
    #expect(MemoryBudget.cgroupLimit("9223372036854771712\n") == nil)
    #expect(MemoryBudget.room(limit: 1000, usage: "300\n") == 700)
    #expect(MemoryBudget.room(limit: 1000, usage: "1300\n") == 0)
    #expect(MemoryBudget.room(limit: 1000, usage: nil) == 1000)
  }

  @Test func cgroupDirectoryOfEachVersion() {
    let unified = MemoryBudget.cgroupDirectory(cgroups: "0::/user.slice/session-2.scope\n")
    #expect(unified?.path == "/sys/fs/cgroup/user.slice/session-2.scope" && unified?.version == 2)
    let legacy = MemoryBudget.cgroupDirectory(
      cgroups: "12:pids:/docker/abc\n4:memory:/docker/abc\n1:name=systemd:/docker/abc\n0::/\n")
    #expect(legacy?.path == "/sys/fs/cgroup/memory/docker/abc" && legacy?.version == 1)
    #expect(MemoryBudget.cgroupDirectory(cgroups: "3:cpu,cpuacct:/x\n") == nil)
  }
}
