import NNCGraph

/// Builds an `ExecutionPlan`: optimizes the graph for the configured mode (`PassManager`), lays out
/// the parameters from the unoptimized graph (so checkpoints do not depend on the optimizations),
/// plans the activation arena for `maxBatch` (`MemoryPlanner`) and decides, node by node, the
/// buffers each step uses and the algorithm of each convolution.
public enum ExecutionPlanner {
  /// Throws the error of an optimization pass that breaks the graph's invariants.
  public static func plan(graph: Graph, configuration: ExecutionConfiguration, maxBatch: Int)
    throws(PassError)
    -> ExecutionPlan
  {
    let optimized = try PassManager.optimize(
      graph, mode: configuration.mode, options: configuration.optimization)
    let maxBatch = max(1, maxBatch)
    let training = configuration.mode == .training

    var layout: [Executor.ParameterSlot] = []
    var offsetByName: [String: Int] = [:]
    var gradientOffsetByName: [String: Int] = [:]
    var parameterCount = 0
    var gradientCount = 0
    // Frozen parameters get no gradient storage: their gradients are never computed.
    for info in graph.nodes.flatMap(\.parameters) {
      let hasGradient = training && info.trainable
      layout.append(
        Executor.ParameterSlot(
          info: info, offset: parameterCount, gradientOffset: hasGradient ? gradientCount : nil))
      offsetByName[info.name] = parameterCount
      parameterCount += info.count
      if hasGradient {
        gradientOffsetByName[info.name] = gradientCount
        gradientCount += info.count
      }
    }

    let layouts = optimized.valueLayouts
    let residuals = training ? [:] : residualAdditions(in: optimized, layouts: layouts)
    let separable =
      training || !configuration.optimization.fusesSeparableConvolutions
      ? [:] : separablePairs(in: optimized, layouts: layouts)
    // A fused pair's depthwise output is never written: it takes no memory of its own but the
    // depthwise input's buffer, which so lives until the pointwise step that reads it, apart from
    // everything that step writes.
    let storedWith =
      residuals.map { (optimized.nodes[$0.key].output, optimized.nodes[$0.value.node].output) }
      + separable.map { (optimized.nodes[$0.value].output, optimized.nodes[$0.value].inputs[0]) }
    let memoryPlan = MemoryPlanner.plan(
      optimized, mode: configuration.mode, batchSize: maxBatch, reuse: configuration.optimization.plansMemory,
      storedWith: Dictionary(uniqueKeysWithValues: storedWith),
      overwrites: shortcutOverwrites(residuals, in: optimized, layouts: layouts, separable: separable))
    let sampleCounts = optimized.shapes.map(\.sampleCount)
    var sizes = ExecutionPlan.BufferSizes(
      scratch: 0, contribution: training ? (sampleCounts.max() ?? 1) * maxBatch : 1, indices: 0, saved: 0,
      folded: 0, keptWeights: 0)
    // Forward passes outside training run dense layers from packed weights (`PackedDense`): kept
    // between batches when an inference executor caches prepared weights, else packed into the
    // scratch on every call (a training executor's evaluation too).
    func keepPackedDense(_ step: inout PlannedStep, inFeatures: Int, _ units: Int) {
      guard PackedDense.runs(inFeatures: inFeatures, outFeatures: units) else { return }
      let packed = PackedDense.packedWeightCount(inFeatures: inFeatures, outFeatures: units)
      let columns = PackedDense.scratchCount(batch: maxBatch, inFeatures: inFeatures)
      if configuration.cachesPreparedWeights {
        step.keptWeightOffset = sizes.keptWeights
        sizes.keptWeights += MemoryPlanner.aligned(packed)
        sizes.scratch = max(sizes.scratch, columns)
      } else {
        sizes.scratch = max(sizes.scratch, columns + packed)
      }
    }
    var steps: [PlannedStep] = []
    for (index, node) in optimized.nodes.enumerated() {
      var step = PlannedStep(
        node: index, inputOffsets: node.inputs.map { memoryPlan.valueOffsets[$0.index] ?? -1 },
        outputOffset: memoryPlan.valueOffsets[node.output.index] ?? -1,
        inputGradientOffsets: node.inputs.map { memoryPlan.gradientOffsets[$0.index] },
        outputGradientOffset: memoryPlan.gradientOffsets[node.output.index], parameterOffsets: [:],
        gradientOffsets: [:], concatChannels: [])
      for info in node.parameters {
        step.parameterOffsets[info.role] = offsetByName[info.name]
        step.gradientOffsets[info.role] = gradientOffsetByName[info.name]
      }
      let output = optimized.shape(of: node.output)
      if let attributes = node.op.convolutionAttributes {
        let geometry = Executor.convolutionGeometry(attributes, optimized.shape(of: node.inputs[0]), batch: 1)
        let algorithm = ConvolutionAlgorithm.choose(
          for: geometry, mode: configuration.mode, layout: layouts[node.inputs[0].index])
        let forwardAlgorithm = training ? algorithm.trainingForward(for: geometry) : algorithm
        step.convolution = PlannedConvolution(
          geometry: geometry, algorithm: algorithm, forwardAlgorithm: forwardAlgorithm)
        var full = geometry
        full.batch = maxBatch
        sizes.scratch = max(
          sizes.scratch, Conv2D.scratchCount(full, algorithm: algorithm),
          Conv2D.scratchCount(full, algorithm: forwardAlgorithm))
        let keptCount = Conv2D.keptWeightCount(full, algorithm: algorithm)
        if training || configuration.cachesPreparedWeights, keptCount > 0 {
          step.keptWeightOffset = sizes.keptWeights
          sizes.keptWeights += MemoryPlanner.aligned(keptCount)
        }
        if case .fused(let fused) = node.op, fused.batchNorm != nil {
          if configuration.cachesPreparedWeights {
            // Kept per node: the depthwise kernel takes folded weights, the others a scale and shift.
            step.foldedOffset = sizes.folded
            sizes.folded += MemoryPlanner.aligned(
              (algorithm.takesScaledWeights ? full.weightCount : 0) + 2 * full.outChannels)
          } else {
            sizes.folded = max(sizes.folded, full.weightCount + 2 * full.outChannels)
          }
        }
      }
      switch node.op {
      case .pool(let attributes):
        if attributes.kind == .max {
          step.indexOffset = sizes.indices
          sizes.indices += output.sampleCount * maxBatch
        }
      case .globalPool(let kind):
        if kind == .max {
          step.indexOffset = sizes.indices
          sizes.indices += output.sampleCount * maxBatch
        }
      case .batchNorm:
        step.savedOffset = sizes.saved
        sizes.saved += BatchNorm.savedStatisticsCount(channels: output.sample[0])
      case .dropout:
        step.savedOffset = sizes.saved
        sizes.saved += output.sampleCount * maxBatch
      case .concat:
        step.concatChannels = node.inputs.map { optimized.shape(of: $0).sample[0] }
      case .fused(let fused):
        if case .dense(let attributes) = fused.base {
          keepPackedDense(
            &step, inFeatures: optimized.shape(of: node.inputs[0]).sampleCount, attributes.units)
        }
        if case .dense(let attributes) = fused.base, fused.batchNorm != nil {
          let count = attributes.units * (optimized.shape(of: node.inputs[0]).sampleCount + 2)
          if configuration.cachesPreparedWeights {
            step.foldedOffset = sizes.folded
            sizes.folded += MemoryPlanner.aligned(count)
          } else {
            sizes.folded = max(sizes.folded, count)
          }
        }
      case .lrn:
        // Backward gathers each channel's products in the shared kernel scratch before summing windows.
        if training {
          sizes.scratch = max(
            sizes.scratch, LocalResponseNorm.scratchCount(sampleCount: output.sampleCount, batch: maxBatch))
        }
      case .dense(let attributes):
        keepPackedDense(&step, inFeatures: optimized.shape(of: node.inputs[0]).sampleCount, attributes.units)
      case .input, .convolution, .flatten, .activation, .add, .zeroPadding, .upsample, .reorder:
        break
      }
      steps.append(step)
    }
    fuseBatchNormActivations(into: &steps, graph: optimized)
    if !training {
      fuseMaxPooling(into: &steps, graph: optimized, memoryPlan: memoryPlan, maxBatch: maxBatch)
      fuseResidualAdditions(
        residuals, into: &steps, graph: optimized, memoryPlan: memoryPlan, maxBatch: maxBatch,
        separable: separable)
      fuseChannelsLastOutputs(
        into: &steps, sizes: &sizes, graph: optimized, memoryPlan: memoryPlan, maxBatch: maxBatch)
      fuseSeparableConvolutions(
        separable, into: &steps, sizes: &sizes, graph: optimized, memoryPlan: memoryPlan, maxBatch: maxBatch)
    }
    return ExecutionPlan(
      sourceGraph: graph, graph: optimized, configuration: configuration, maxBatch: maxBatch,
      memoryPlan: memoryPlan, parameterLayout: layout, parameterCount: parameterCount,
      trainableParameterCount: gradientCount,
      needsGradient: training
        ? optimized.valuesNeedingGradient : [Bool](repeating: false, count: optimized.shapes.count),
      steps: steps, bufferSizes: sizes)
  }

  /// A ReLU, ReLU6 or leaky ReLU that runs in place on a batchnorm's output, which nothing else
  /// reads, is applied by the batchnorm to each row right after normalizing it, while the row is in
  /// cache (`BatchNorm.normalize`): its own pass read and wrote the whole tensor again (MobileNetV2 at
  /// 64x64, batch 32, two threads: its 35 ReLU6 layers took 4.4 ms of a training step's forward
  /// pass; the batchnorms now take 0.3 ms more and the depthwise layers reading their outputs about
  /// 0.2 ms more; 304 → 320 images/s). These three only, with the same
  /// comparisons per element as their own pass (`ActivationLanes`), so the bits stay the same; the
  /// activation's backward runs as ever, from its output.
  static func fuseBatchNormActivations(into steps: inout [PlannedStep], graph: Graph) {
    let uses = graph.useCounts
    let producers = graph.producers
    for (index, node) in graph.nodes.enumerated() {
      guard case .activation(let activation) = node.op, node.inPlace, let kind = ActivationKind(activation),
        BatchNorm.appliesWhileNormalizing(kind), let input = node.inputs.first, uses[input.index] == 1,
        let producer = producers[input.index], case .batchNorm = graph.nodes[producer].op,
        steps[producer].outputOffset == steps[index].outputOffset
      else { continue }
      steps[producer].activationAfterNormalizing = kind
      steps[index].isActivatedByProducer = true
    }
  }

  /// The residual additions an inference plan computes in a convolution's epilogue, by the index of
  /// that convolution: an addition (linear or with ReLU, as ResNet's and MobileNetV2's blocks end)
  /// right after the convolution that produces one operand, read by nothing else, computed by a
  /// kernel that adds a shortcut (`ConvolutionAlgorithm.addsShortcut`) and with no activation of
  /// its own (the addition comes before any activation). The other operand is the shortcut.
  static func residualAdditions(in graph: Graph, layouts: [TensorLayout]) -> [Int: PlannedResidual] {
    let uses = graph.useCounts
    var residuals: [Int: PlannedResidual] = [:]
    for (index, node) in graph.nodes.enumerated() where index > 0 {
      var activation: Activation
      if case .add = node.op {
        activation = .linear
      } else if case .fused(let fused) = node.op, fused.base == .add, fused.batchNorm == nil {
        activation = fused.activation
      } else {
        continue
      }
      guard activation == .linear || activation == .relu, let kind = ActivationKind(activation) else {
        continue
      }
      let producer = graph.nodes[index - 1]
      let convolutionOutput = producer.output
      guard node.inputs.count == 2, node.inputs.contains(convolutionOutput),
        node.inputs[0] != node.inputs[1], convolutionOutput != graph.output,
        uses[convolutionOutput.index] == 1,
        let attributes = producer.op.convolutionAttributes
      else { continue }
      // The addition comes before any activation: a fused convolution must have none of its own.
      if case .fused(let fused) = producer.op, fused.activation != .linear { continue }
      guard inferenceConvolution(producer, attributes, graph: graph, layouts: layouts).algorithm.addsShortcut
      else { continue }
      let shortcut = node.inputs[0] == convolutionOutput ? node.inputs[1] : node.inputs[0]
      residuals[index - 1] = PlannedResidual(node: index, shortcut: shortcut, activation: kind)
    }
    return residuals
  }

  /// The residual additions whose sums may be written over their shortcuts (`MemoryPlanner.Overwrite`)
  /// when nothing reads a shortcut after its addition, as along ResNet's chains of blocks: computed
  /// by a kernel that reads each shortcut element just before writing its sum there
  /// (`ConvolutionAlgorithm.addsShortcutInPlace`), never over what the convolution itself reads (a
  /// separable pair's: the depthwise input).
  /// Written in place, a sum's lines are already in cache when written: ResNet-50's expansions with
  /// a shortcut ran 5-18 % faster in `Benchmarks/plane_product.c` (most on 56x56 maps), and take no
  /// memory of their own.
  static func shortcutOverwrites(
    _ residuals: [Int: PlannedResidual], in graph: Graph, layouts: [TensorLayout], separable: [Int: Int]
  ) -> [MemoryPlanner.Overwrite] {
    residuals.sorted(by: { $0.key < $1.key }).compactMap { producer, residual in
      let node = graph.nodes[producer]
      guard let attributes = node.op.convolutionAttributes else { return nil }
      let convolution = inferenceConvolution(node, attributes, graph: graph, layouts: layouts)
      guard convolution.algorithm.addsShortcutInPlace(convolution.geometry) else { return nil }
      return MemoryPlanner.Overwrite(
        value: graph.nodes[residual.node].output, overwritten: residual.shortcut, node: residual.node,
        keptApart: graph.nodes[separable[producer] ?? producer].inputs)
    }
  }

  /// Inference: the residual additions of `residualAdditions` are computed by their convolutions
  /// (`PlannedStep.residual`): the epilogue adds the shortcut while the convolution's output is in
  /// cache and writes the addition's output, which saves the addition's pass over three tensors and
  /// its hand-off to the threads. The memory plan stores the convolution's (unwritten) output in the
  /// addition's buffer (`storedWith`), which so lives from the convolution's step and shares no
  /// memory with the convolution's input, which the kernel reads while it writes, nor with the
  /// shortcut unless it is the shortcut's own (`shortcutOverwrites`); the check below keeps that true
  /// whatever the plan (without reuse every value has its own memory).
  static func fuseResidualAdditions(
    _ residuals: [Int: PlannedResidual], into steps: inout [PlannedStep], graph: Graph,
    memoryPlan: MemoryPlan, maxBatch: Int, separable: [Int: Int] = [:]
  ) {
    let range = { (value: ValueID) in
      arenaRange(of: value, graph: graph, memoryPlan: memoryPlan, maxBatch: maxBatch)
    }
    for (producer, residual) in residuals.sorted(by: { $0.key < $1.key }) {
      guard steps[producer].pooled == nil, let sumRange = range(graph.nodes[residual.node].output) else {
        continue
      }
      // A pointwise convolution that computes the depthwise one before it reads that one's input.
      let readValues = graph.nodes[separable[producer] ?? producer].inputs
      let overlaps = readValues.contains { value in range(value).map { $0.overlaps(sumRange) } ?? true }
      // The shortcut is apart from the sum or, written over (`shortcutOverwrites`), exactly it.
      let shortcutRange = range(residual.shortcut)
      let overwritten = shortcutRange == sumRange
      if overlaps || (!overwritten && (shortcutRange.map { $0.overlaps(sumRange) } ?? true)) {
        precondition(!overwritten, "a sum planned over its shortcut must be added by the convolution")
        continue
      }
      steps[producer].residual = residual
      steps[residual.node].isAddedByProducer = true
    }
  }

  /// Inference: a max pooling whose input is a direct convolution's output, read by nothing else,
  /// is computed by the convolution's kernel (`PlannedStep.pooled`), each sample's planes pooled
  /// while still in cache, which saves the pooling's pass over the convolution's output and its
  /// hand-off to the threads. The pooling writes its output during the convolution's step, so that
  /// output must not share memory with the convolution's input (the memory plan may give the
  /// pooling the input's buffer, free once the convolution has read it): then the two stay apart.
  static func fuseMaxPooling(
    into steps: inout [PlannedStep], graph: Graph, memoryPlan: MemoryPlan, maxBatch: Int
  ) {
    let uses = graph.useCounts
    let range = { (value: ValueID) in
      arenaRange(of: value, graph: graph, memoryPlan: memoryPlan, maxBatch: maxBatch)
    }
    for (index, node) in graph.nodes.enumerated() where index > 0 {
      guard case .pool(let attributes) = node.op, attributes.kind == .max else { continue }
      let producer = index - 1
      let convolutionOutput = graph.nodes[producer].output
      guard node.inputs == [convolutionOutput], convolutionOutput != graph.output,
        uses[convolutionOutput.index] == 1, steps[producer].convolution?.algorithm == .direct,
        let pooledRange = range(node.output)
      else { continue }
      let overlapsInput = graph.nodes[producer].inputs.contains { input in
        range(input).map { $0.overlaps(pooledRange) } ?? true
      }
      if overlapsInput { continue }
      steps[producer].pooled = PlannedPool(
        node: index, geometry: Executor.poolGeometry(attributes, graph.shape(of: convolutionOutput), batch: 1)
      )
      steps[index].isPooledByProducer = true
    }
  }

  /// Inference: a convolution whose output only a reorder to channels-last reads (the stem before a
  /// channels-last region) writes that reorder's output itself, channels-last
  /// (`Conv2D.patchProductForward`), where `Conv2D.runsPatchProduct` has a kernel for it and
  /// no other fusion took it. As with the pooling, the reorder's output must not share memory with
  /// the convolution's input.
  static func fuseChannelsLastOutputs(
    into steps: inout [PlannedStep], sizes: inout ExecutionPlan.BufferSizes, graph: Graph,
    memoryPlan: MemoryPlan, maxBatch: Int
  ) {
    let uses = graph.useCounts
    for (index, node) in graph.nodes.enumerated() where index > 0 {
      guard node.op == .reorder(.channelsLast) else { continue }
      let producer = index - 1
      let convolutionOutput = graph.nodes[producer].output
      guard node.inputs == [convolutionOutput], uses[convolutionOutput.index] == 1,
        let convolution = steps[producer].convolution, steps[producer].pooled == nil,
        steps[producer].residual == nil, !convolution.algorithm.takesScaledWeights,
        Conv2D.runsPatchProduct(convolution.geometry),
        let reorderedRange = arenaRange(
          of: node.output, graph: graph, memoryPlan: memoryPlan, maxBatch: maxBatch)
      else { continue }
      let overlapsInput = graph.nodes[producer].inputs.contains { input in
        arenaRange(of: input, graph: graph, memoryPlan: memoryPlan, maxBatch: maxBatch).map {
          $0.overlaps(reorderedRange)
        } ?? true
      }
      if overlapsInput { continue }
      steps[producer].channelsLastOutput = index
      steps[index].isReorderedByProducer = true
      var full = convolution.geometry
      full.batch = maxBatch
      sizes.scratch = max(sizes.scratch, Conv2D.patchProductScratchCount(full, outputLayout: .channelsLast))
    }
  }

  /// Inference: the depthwise and pointwise pairs a plan computes in one step, by the index of the
  /// pointwise convolution: a channels-last depthwise convolution whose output only the next node
  /// reads, a 1x1 convolution the direct channels-last kernel computes
  /// (`Conv2D.runsSeparableChannelsLast`). The pointwise step runs both
  /// (`Conv2D.separableChannelsLastForward`): the depthwise output of a band of rows is consumed
  /// while in cache instead of written out and read back.
  static func separablePairs(in graph: Graph, layouts: [TensorLayout]) -> [Int: Int] {
    let uses = graph.useCounts
    var pairs: [Int: Int] = [:]
    func planned(_ index: Int) -> PlannedConvolution? {
      let node = graph.nodes[index]
      return node.op.convolutionAttributes.map {
        inferenceConvolution(node, $0, graph: graph, layouts: layouts)
      }
    }
    for (index, node) in graph.nodes.enumerated() where index > 0 {
      let producer = index - 1
      let depthwiseOutput = graph.nodes[producer].output
      guard node.inputs == [depthwiseOutput], depthwiseOutput != graph.output,
        uses[depthwiseOutput.index] == 1,
        let depthwise = planned(producer), depthwise.algorithm == .channelsLastDepthwise,
        let pointwise = planned(index), pointwise.algorithm == .channelsLastPointwise,
        Conv2D.runsSeparableChannelsLast(depthwise: depthwise.geometry, pointwise: pointwise.geometry)
      else { continue }
      pairs[index] = producer
    }
    return pairs
  }

  /// Inference: marks the pairs of `separablePairs` in the steps and sizes their scratch. The
  /// memory plan stored each depthwise output with its input (`storedWith`), so what the pointwise
  /// step writes shares no memory with the depthwise input it reads; checked here, whatever the plan.
  static func fuseSeparableConvolutions(
    _ pairs: [Int: Int], into steps: inout [PlannedStep], sizes: inout ExecutionPlan.BufferSizes,
    graph: Graph, memoryPlan: MemoryPlan, maxBatch: Int
  ) {
    let range = { (value: ValueID) in
      arenaRange(of: value, graph: graph, memoryPlan: memoryPlan, maxBatch: maxBatch)
    }
    for (index, producer) in pairs.sorted(by: { $0.key < $1.key }) {
      let written = graph.nodes[steps[index].residual?.node ?? index].output
      let overlapsInput = graph.nodes[producer].inputs.contains { input in
        guard let read = range(input), let writtenRange = range(written) else { return true }
        return read.overlaps(writtenRange)
      }
      precondition(
        !overlapsInput, "the memory plan overlaps a fused pointwise output with its depthwise input")
      steps[index].separableDepthwise = producer
      steps[producer].isComputedByConsumer = true
      let (depthwise, pointwise) = (steps[producer].convolution!.geometry, steps[index].convolution!.geometry)
      if steps[producer].foldedOffset == nil, case .fused(let fused) = graph.nodes[producer].op,
        fused.batchNorm != nil
      {
        // The depthwise weights folded at its step are read at the next one, which folds its own
        // batchnorm into the shared start of the buffer: they need a region of their own.
        steps[producer].foldedOffset = sizes.folded
        sizes.folded += MemoryPlanner.aligned(depthwise.weightCount + 2 * depthwise.outChannels)
      }
      var (fullDepthwise, fullPointwise) = (depthwise, pointwise)
      (fullDepthwise.batch, fullPointwise.batch) = (maxBatch, maxBatch)
      sizes.scratch = max(
        sizes.scratch, Conv2D.separableScratchCount(depthwise: fullDepthwise, pointwise: fullPointwise))
    }
  }

  /// The geometry (one sample) and algorithm an inference plan gives the convolution `node`, as the
  /// step loop of `plan` decides them, for the fusions decided before it.
  static func inferenceConvolution(
    _ node: Node, _ attributes: ConvolutionAttributes, graph: Graph, layouts: [TensorLayout]
  ) -> PlannedConvolution {
    let geometry = Executor.convolutionGeometry(attributes, graph.shape(of: node.inputs[0]), batch: 1)
    return PlannedConvolution(
      geometry: geometry,
      algorithm: ConvolutionAlgorithm.choose(
        for: geometry, mode: .inference, layout: layouts[node.inputs[0].index]))
  }

  /// The elements of the arena `value` occupies at `maxBatch`; nil for a value the memory plan gives
  /// no offset (the fusions then treat it as overlapping, to stay safe).
  static func arenaRange(
    of value: ValueID, graph: Graph, memoryPlan: MemoryPlan, maxBatch: Int
  ) -> Range<Int>? {
    guard let offset = memoryPlan.valueOffsets[value.index] else { return nil }
    return offset..<(offset + graph.shape(of: value).sampleCount * maxBatch)
  }
}
