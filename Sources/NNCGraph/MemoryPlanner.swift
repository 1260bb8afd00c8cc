/// Where every tensor of one execution lives: offsets (in Float32 elements) into one arena for each
/// value and, in training, each value's gradient.
public struct MemoryPlan: Sendable {
  /// One region of the arena, shared by values that alias (in-place nodes) or holding one gradient.
  public struct Buffer: Sendable {
    public var values: [ValueID]
    public var isGradient: Bool
    public var elements: Int
    public var offset: Int
    /// First and last step (see `MemoryPlanner`) at which the buffer holds live data.
    public var firstStep: Int
    public var lastStep: Int
  }

  public var mode: GraphMode
  public var batchSize: Int
  public var reusesMemory: Bool
  public var buffers: [Buffer]
  /// Arena offset of each value by index; nil for values no node produces (removed by a pass).
  public var valueOffsets: [Int?]
  /// Arena offset of each value's gradient (training); nil for the graph input and in inference.
  public var gradientOffsets: [Int?]
  /// The arena's size in elements.
  public var arenaElements: Int
  /// Every value of the graph (and in training every gradient) in its own buffer.
  public var naiveElements: Int

  // Saturating: a plan for an absurd batch reports Int.max bytes, which every budget refuses.
  public var plannedBytes: Int {
    CheckedArithmetic.saturatingProduct(arenaElements, MemoryLayout<Float>.size)
  }
  public var naiveBytes: Int { CheckedArithmetic.saturatingProduct(naiveElements, MemoryLayout<Float>.size) }
}

/// Plans the activation arena by liveness. Steps number the execution: 0 is the caller writing the
/// input, node i runs forward at step i + 1, the caller reads the output and writes its gradient at
/// n + 1, and node i runs backward at step 2n + 1 − i. A value lives from the step that writes it to
/// the last step that reads it, forward or backward (`Node.valuesReadByBackward`); a gradient from
/// the first backward step that writes it (the latest reader's) to its producer's backward step.
/// The input and output live throughout, so callers may read them after any call.
/// Values joined by an in-place node form one buffer. Buffers are then placed greedily, largest
/// first, each at the best-fitting gap among the buffers whose lifetimes overlap its own.
public enum MemoryPlanner {
  /// A value that may be written over `overwritten`, computed from it element by element, each
  /// element read just before its result is written (a residual addition, node `node`, fused into
  /// the convolution before it): granted when everything sharing `overwritten`'s buffer is last read
  /// at that node's step or before, the buffer is not the caller's input, and none of `keptApart`
  /// (what the same kernel reads besides) shares it. `MemoryPlan.valueOffsets` tells whether it was:
  /// the two offsets agree.
  public struct Overwrite: Sendable {
    public var value: ValueID
    public var overwritten: ValueID
    public var node: Int
    public var keptApart: [ValueID]

    public init(value: ValueID, overwritten: ValueID, node: Int, keptApart: [ValueID]) {
      self.value = value
      self.overwritten = overwritten
      self.node = node
      self.keptApart = keptApart
    }
  }

  /// The name under which `--disable-pass` turns reuse off.
  public static let passName = "plan-memory"
  /// Offsets are multiples of 16 elements (64 bytes, a cache line), and arenas start on one, so
  /// that no 64-byte vector load of a tensor's start splits across two lines.
  public static let alignment = 16

  /// `storedWith` maps a value to the value whose buffer holds it: a convolution's output whose only
  /// reader, a residual addition, is computed in the convolution's epilogue, which writes the
  /// addition's output instead. The buffer then lives from the convolution's step, so it shares no
  /// memory with what the convolution reads, and the unwritten output takes no memory of its own.
  /// Likewise a depthwise output that the pointwise convolution reading it computes itself, held by
  /// the depthwise input, which so lives until that pointwise step.
  ///
  /// `overwrites` lets a value take the buffer of one it is computed from, elementwise, when that
  /// buffer holds nothing read after the value's node (`Overwrite`): a residual addition written
  /// over its shortcut, which then costs no memory of its own and no cache line read for ownership
  /// that the shortcut's read did not already bring in.
  public static func plan(
    _ graph: Graph, mode: GraphMode, batchSize: Int, reuse: Bool, storedWith: [ValueID: ValueID] = [:],
    overwrites: [Overwrite] = []
  ) -> MemoryPlan {
    let batch = max(1, batchSize)
    let n = graph.nodes.count
    let valueCount = graph.shapes.count
    let uses = graph.useCounts
    // The output's gradient is where the caller writes d(loss)/d(output), even with nothing to train.
    var needsGradient = graph.valuesNeedingGradient
    needsGradient[graph.output.index] = true
    func forwardStep(_ node: Int) -> Int { node + 1 }
    func backwardStep(_ node: Int) -> Int { 2 * n + 1 - node }
    let outputStep = n + 1
    // The batch comes from the spec or `--batch`; products and sums of sizes saturate at Int.max
    // instead of trapping, and a plan that large is refused by the memory budget.
    func size(_ value: ValueID) -> Int {
      CheckedArithmetic.saturatingProduct(graph.shape(of: value).sampleCount, batch)
    }

    var produced = [Bool](repeating: false, count: valueCount)
    produced[graph.input.index] = true
    var first = [Int](repeating: 0, count: valueCount)
    var last = [Int](repeating: 0, count: valueCount)
    var gradientFirst = [Int](repeating: Int.max, count: valueCount)
    var gradientLast = [Int](repeating: 0, count: valueCount)
    for (index, node) in graph.nodes.enumerated() {
      produced[node.output.index] = true
      first[node.output.index] = forwardStep(index)
      last[node.output.index] = forwardStep(index)
      gradientLast[node.output.index] = backwardStep(index)
    }
    // The caller's input and output keep their contents for the whole step (documented API).
    let finalStep = mode == .training ? 2 * n + 1 : outputStep
    last[graph.output.index] = finalStep
    gradientFirst[graph.output.index] = outputStep
    for (index, node) in graph.nodes.enumerated() {
      for input in node.inputs {
        last[input.index] = max(last[input.index], forwardStep(index))
        gradientFirst[input.index] = min(gradientFirst[input.index], backwardStep(index))
      }
      // A node whose output needs no gradient never runs backward (frozen base).
      if mode == .training && needsGradient[node.output.index] {
        for value in node.valuesReadByBackward {
          last[value.index] = max(last[value.index], backwardStep(index))
        }
      }
    }

    // Aliases: an in-place node's output lives in its input's buffer; its gradient too when the
    // input has no other reader (the gradient then has a single contribution, written in place).
    last[graph.input.index] = finalStep
    var valueRoot = Array(0..<valueCount)
    var gradientRoot = Array(0..<valueCount)
    func find(_ roots: inout [Int], _ value: Int) -> Int {
      var value = value
      while roots[value] != value { value = roots[value] }
      return value
    }
    if reuse {
      for node in graph.nodes where node.inPlace {
        valueRoot[node.output.index] = find(&valueRoot, node.inputs[0].index)
        if uses[node.inputs[0].index] == 1, node.inputs[0] != graph.input {
          gradientRoot[node.output.index] = find(&gradientRoot, node.inputs[0].index)
        }
      }
      for (value, holder) in storedWith.sorted(by: { $0.key < $1.key }) {
        valueRoot[value.index] = find(&valueRoot, holder.index)
      }
      // In value order, so that a chain (a block's sum the next block's shortcut) joins link by link.
      for overwrite in overwrites.sorted(by: { $0.value < $1.value }) {
        let root = find(&valueRoot, overwrite.value.index)
        let heldRoot = find(&valueRoot, overwrite.overwritten.index)
        let heldValues = (0..<valueCount).filter { produced[$0] && find(&valueRoot, $0) == heldRoot }
        let lastRead = heldValues.map { last[$0] }.max() ?? Int.max
        let apart = overwrite.keptApart.allSatisfy { find(&valueRoot, $0.index) != heldRoot }
        guard root != heldRoot, apart, !heldValues.contains(graph.input.index),
          lastRead <= forwardStep(overwrite.node)
        else { continue }
        valueRoot[root] = heldRoot
      }
    }

    var buffers: [MemoryPlan.Buffer] = []
    var valueBuffer = [Int?](repeating: nil, count: valueCount)
    var gradientBuffer = [Int?](repeating: nil, count: valueCount)
    for value in 0..<valueCount where produced[value] {
      let id = ValueID(value)
      let root = find(&valueRoot, value)
      if let existing = valueBuffer[root] {
        buffers[existing].values.append(id)
        buffers[existing].elements = max(buffers[existing].elements, size(id))
        buffers[existing].firstStep = min(buffers[existing].firstStep, first[value])
        buffers[existing].lastStep = max(buffers[existing].lastStep, last[value])
        valueBuffer[value] = existing
      } else {
        buffers.append(
          .init(
            values: [id], isGradient: false, elements: size(id), offset: 0, firstStep: first[value],
            lastStep: last[value]))
        valueBuffer[value] = buffers.count - 1
        valueBuffer[root] = buffers.count - 1
      }
    }
    if mode == .training {
      for value in 0..<valueCount
      where produced[value] && value != graph.input.index && needsGradient[value] {
        let id = ValueID(value)
        // A value nobody reads still gets a (short-lived) gradient buffer: its producer's VJP runs
        // only if the gradient was written, but the runtime keeps one address per value.
        let start = gradientFirst[value] == Int.max ? gradientLast[value] : gradientFirst[value]
        let root = find(&gradientRoot, value)
        if let existing = gradientBuffer[root] {
          buffers[existing].values.append(id)
          buffers[existing].firstStep = min(buffers[existing].firstStep, start)
          buffers[existing].lastStep = max(buffers[existing].lastStep, gradientLast[value])
          gradientBuffer[value] = existing
        } else {
          buffers.append(
            .init(
              values: [id], isGradient: true, elements: size(id), offset: 0, firstStep: start,
              lastStep: gradientLast[value]))
          gradientBuffer[value] = buffers.count - 1
          gradientBuffer[root] = buffers.count - 1
        }
      }
    }

    let arena = reuse ? placeGreedily(&buffers) : placeInOrder(&buffers)
    var valueOffsets = [Int?](repeating: nil, count: valueCount)
    var gradientOffsets = [Int?](repeating: nil, count: valueCount)
    for value in 0..<valueCount {
      valueOffsets[value] = valueBuffer[value].map { buffers[$0].offset }
      if value != graph.input.index {
        gradientOffsets[value] = gradientBuffer[value].map { buffers[$0].offset }
      }
    }
    return MemoryPlan(
      mode: mode, batchSize: batch, reusesMemory: reuse, buffers: buffers, valueOffsets: valueOffsets,
      gradientOffsets: gradientOffsets, arenaElements: arena,
      naiveElements: naiveElements(graph, mode: mode, batchSize: batch))
  }

  /// Every value (and in training every value's gradient) of `graph` in a buffer of its own.
  public static func naiveElements(_ graph: Graph, mode: GraphMode, batchSize: Int) -> Int {
    let perSample = graph.shapes.reduce(0) { CheckedArithmetic.saturatingSum($0, $1.sampleCount) }
    let values = CheckedArithmetic.saturatingProduct(perSample, max(1, batchSize))
    return mode == .training ? CheckedArithmetic.saturatingProduct(2, values) : values
  }

  public static func aligned(_ count: Int) -> Int {
    count > Int.max - alignment ? Int.max : (count + alignment - 1) / alignment * alignment
  }

  /// One buffer after another: no reuse (`--no-optimize`, `--disable-pass plan-memory`).
  static func placeInOrder(_ buffers: inout [MemoryPlan.Buffer]) -> Int {
    var end = 0
    for index in buffers.indices {
      buffers[index].offset = end
      end = CheckedArithmetic.saturatingSum(end, aligned(buffers[index].elements))
    }
    return end
  }

  /// Largest first (ties: earliest first, then creation order, for a deterministic plan); each buffer
  /// goes to the smallest gap between already placed, lifetime-overlapping buffers that holds it,
  /// or after the last of them.
  static func placeGreedily(_ buffers: inout [MemoryPlan.Buffer]) -> Int {
    let order = buffers.indices.sorted {
      let (a, b) = (buffers[$0], buffers[$1])
      if a.elements != b.elements { return a.elements > b.elements }
      if a.firstStep != b.firstStep { return a.firstStep < b.firstStep }
      return $0 < $1
    }
    var placed: [Int] = []
    var arena = 0
    for index in order {
      let buffer = buffers[index]
      let need = aligned(buffer.elements)
      let conflicts = placed.filter {
        buffers[$0].firstStep <= buffer.lastStep && buffer.firstStep <= buffers[$0].lastStep
      }.map {
        (
          start: buffers[$0].offset,
          end: CheckedArithmetic.saturatingSum(buffers[$0].offset, aligned(buffers[$0].elements))
        )
      }
      .sorted { $0.start < $1.start }
      var best: (offset: Int, gap: Int)?
      var cursor = 0
      for conflict in conflicts {
        let gap = conflict.start - cursor
        if gap >= need, best == nil || gap < best!.gap { best = (cursor, gap) }
        cursor = max(cursor, conflict.end)
      }
      let offset = best?.offset ?? cursor
      buffers[index].offset = offset
      arena = max(arena, CheckedArithmetic.saturatingSum(offset, need))
      placed.append(index)
    }
    return arena
  }
}
