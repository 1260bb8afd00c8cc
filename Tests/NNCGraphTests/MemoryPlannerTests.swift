import NNCSpec
import Testing

@testable import NNCGraph

let residualNetwork = """
  model:
    input: [3, 16, 16]
    layers:
      - conv2d: {filters: 8, kernel: 3, padding: same, bias: false}
      - batchnorm
      - relu
      - residual:
          layers:
            - conv2d: {filters: 8, kernel: 3, padding: same, bias: false}
            - batchnorm
            - relu
            - conv2d: {filters: 8, kernel: 3, padding: same, bias: false}
            - batchnorm
      - relu
      - maxpool: 2
      - flatten
      - dense: {units: 16, activation: tanh}
      - dense: 4
  """

/// Buffers whose lifetimes overlap must not overlap in the arena, and every buffer fits in it.
func expectDisjoint(_ plan: MemoryPlan) {
  for (i, a) in plan.buffers.enumerated() {
    #expect(a.offset >= 0 && a.offset + a.elements <= plan.arenaElements)
    for b in plan.buffers[(i + 1)...] where a.firstStep <= b.lastStep && b.firstStep <= a.lastStep {
      let apart = a.offset + a.elements <= b.offset || b.offset + b.elements <= a.offset
      #expect(apart, "\(a.values) and \(b.values) overlap in time and memory")
    }
  }
}

@Test(arguments: GraphMode.allCases)
func plannedBuffersNeverOverlapWhileLive(_ mode: GraphMode) throws {
  let graph = try PassManager.optimize(try lowered(residualNetwork), mode: mode)
  let plan = MemoryPlanner.plan(graph, mode: mode, batchSize: 4, reuse: true)
  expectDisjoint(plan)
  #expect(plan.plannedBytes < plan.naiveBytes)
  #expect(plan.naiveElements == MemoryPlanner.naiveElements(graph, mode: mode, batchSize: 4))
  // Every computed value has an offset; gradients exist exactly in training.
  for node in graph.nodes {
    #expect(plan.valueOffsets[node.output.index] != nil)
    #expect((plan.gradientOffsets[node.output.index] != nil) == (mode == .training))
  }
  #expect(plan.gradientOffsets[graph.input.index] == nil)
}

@Test func withoutReuseEveryTensorHasItsOwnBuffer() throws {
  let graph = try lowered(residualNetwork)
  let plan = MemoryPlanner.plan(graph, mode: .training, batchSize: 2, reuse: false)
  #expect(plan.buffers.count == 2 * graph.nodes.count + 1)
  var end = 0
  for buffer in plan.buffers.sorted(by: { $0.offset < $1.offset }) {
    #expect(buffer.offset >= end)
    end = buffer.offset + buffer.elements
  }
  #expect(plan.arenaElements >= plan.naiveElements - graph.inputShape.sampleCount * 2)
}

@Test func liveRangesFollowForwardReadersAndBackwardNeeds() throws {
  let graph = try PassManager.optimize(try lowered(residualNetwork), mode: .training)
  let plan = MemoryPlanner.plan(graph, mode: .training, batchSize: 1, reuse: true)
  let n = graph.nodes.count
  func buffer(_ value: ValueID, gradient: Bool = false) -> MemoryPlan.Buffer {
    plan.buffers.first { $0.isGradient == gradient && $0.values.contains(value) }!
  }
  for (index, node) in graph.nodes.enumerated() {
    let own = buffer(node.output)
    #expect(own.firstStep <= index + 1)
    for reader in node.inputs { #expect(buffer(reader).lastStep >= index + 1) }
    // What backward reads stays alive until this node's backward step.
    for kept in node.valuesReadByBackward { #expect(buffer(kept).lastStep >= 2 * n + 1 - index) }
    // The output's gradient is alive when this node's backward reads it.
    #expect(buffer(node.output, gradient: true).lastStep >= 2 * n + 1 - index)
  }
  // The input and output survive the whole step.
  #expect(buffer(graph.input).lastStep == 2 * n + 1)
  #expect(buffer(graph.output).lastStep == 2 * n + 1)
}

@Test func inPlaceNodesShareTheirInputBuffer() throws {
  let graph = try PassManager.optimize(try lowered(residualNetwork), mode: .training)
  let plan = MemoryPlanner.plan(graph, mode: .training, batchSize: 1, reuse: true)
  let inPlace = graph.nodes.filter(\.inPlace)
  #expect(!inPlace.isEmpty)
  for node in inPlace {
    #expect(plan.valueOffsets[node.output.index] == plan.valueOffsets[node.inputs[0].index])
  }
}

@Test func inPlaceReLUAndReuseCutTrainingMemory() throws {
  let graph = try lowered(residualNetwork)
  let naive = MemoryPlanner.plan(graph, mode: .training, batchSize: 8, reuse: false)
  let planned = MemoryPlanner.plan(
    try PassManager.optimize(graph, mode: .training), mode: .training, batchSize: 8, reuse: true)
  #expect(Double(planned.plannedBytes) < 0.6 * Double(naive.plannedBytes))
}

@Test func aFrozenBaseNeedsNoGradientMemory() throws {
  let graph = try lowered(
    residualNetwork.replacingOccurrences(
      of: "dense: {units: 16, activation: tanh}", with: "dense: {units: 16, activation: tanh, name: features}"
    ))
  let frozen = graph.applying(.freezeUntil("features"))
  let needs = frozen.valuesNeedingGradient
  // Only the head has trainable parameters: the values it computes need gradients, nothing before.
  #expect(needs.enumerated().filter(\.element).map(\.offset) == [frozen.output.index])
  let full = MemoryPlanner.plan(graph, mode: .training, batchSize: 8, reuse: true)
  let plan = MemoryPlanner.plan(frozen, mode: .training, batchSize: 8, reuse: true)
  expectDisjoint(plan)
  #expect(plan.buffers.filter(\.isGradient).flatMap(\.values) == [frozen.output])
  #expect(plan.plannedBytes < full.plannedBytes)
  let allFrozen = MemoryPlanner.plan(
    graph.applying(.freeze(["*"])), mode: .training, batchSize: 8, reuse: true)
  // The caller still writes d(loss)/d(output) somewhere.
  #expect(allFrozen.gradientOffsets[graph.output.index] != nil)
}

/// A batch no spec allows (a caller's `--batch`, a hand-made plan) makes sizes beyond `Int`: the
/// plan saturates at Int.max bytes, which every memory budget refuses, instead of trapping.
@Test(arguments: [Int.max, Int.max / 3, 1 << 60])
func hugeBatchesSaturateInsteadOfTrapping(_ batch: Int) throws {
  let graph = try lowered(residualNetwork)
  for reuse in [true, false] {
    let plan = MemoryPlanner.plan(graph, mode: .training, batchSize: batch, reuse: reuse)
    #expect(plan.plannedBytes == Int.max)
    #expect(plan.naiveBytes == Int.max)
  }
  #expect(MemoryPlanner.naiveElements(graph, mode: .inference, batchSize: batch) == Int.max)
}
