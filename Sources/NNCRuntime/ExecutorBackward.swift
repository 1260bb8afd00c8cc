import NNCGraph

extension Executor {
  /// Sets every parameter gradient to zero; call once per step before `backward`.
  public func zeroParameterGradients() {
    let base = gradientStore.base
    Parallel.forEachChunk(trainableParameterCount) { range in
      (base + range.lowerBound).update(repeating: 0, count: range.count)
    }
  }

  /// Backpropagates `outputGradient` through the graph of the last training `forward`, accumulating
  /// into the parameter gradients (zero them first with `zeroParameterGradients`). The parameters must
  /// be those of that `forward`: some kernels keep values derived from them (cropped convolution
  /// weights) for the backward pass. `afterEachNode` is called with every node's index as the pass
  /// leaves it, from the last node to the first, so a data-parallel step can start all-reducing the
  /// gradients that are final (`finalGradientNode`) while the rest of the pass runs.
  public func backward(batch: Int, afterEachNode: ((Int) -> Void)? = nil) {
    precondition(batch >= 1 && batch <= maxBatch, "batch \(batch) outside the planned 1...\(maxBatch)")
    precondition(configuration.mode == .training, "this executor was built for inference; it has no backward")
    for index in gradientWritten.indices { gradientWritten[index] = false }
    gradientWritten[graph.output.index] = true
    // Reversed indices, not `enumerated().reversed()`, which would build an array every step.
    profile?.prepare(plan)
    for index in graph.nodes.indices.reversed() {
      let output = graph.nodes[index].output.index
      if gradientWritten[output], needsGradient[output] {
        if let profile {
          profile.measure(node: index, pass: .backward) {
            backward(graph.nodes[index], index: index, batch: batch)
          }
        } else {
          backward(graph.nodes[index], index: index, batch: batch)
        }
      }
      afterEachNode?(index)
    }
  }

  /// The index of the first node whose backward writes the gradient of `slot` (nil for a frozen
  /// parameter): `backward` runs from the last node to the first, so once it has left that node,
  /// the gradient is final. A parameter no node writes is final from the start (its gradient stays
  /// zero), which `Int.max` says.
  public func finalGradientNode(of slot: ParameterSlot) -> Int? {
    guard let offset = slot.gradientOffset else { return nil }
    return steps.indices.first { steps[$0].gradientOffsets.values.contains(offset) } ?? Int.max
  }

  /// Gives `body` the buffer to write d(loss)/d(input) into, or nil when the input needs none (the
  /// graph input, or a value computed only from frozen parameters).
  /// The first contribution writes the value's gradient directly; later ones (a value read by several
  /// nodes) are written to a scratch buffer and added.
  func withInputGradient(_ input: ValueID, batch: Int, _ body: (UnsafeMutablePointer<Float>?) -> Void) {
    guard needsGradient[input.index] else {
      body(nil)
      return
    }
    if !gradientWritten[input.index] {
      body(valueGradient(input))
      gradientWritten[input.index] = true
      return
    }
    let count = batch * sampleCounts[input.index]
    body(contribution.base)
    let target = valueGradient(input)
    let addend = contribution.base
    Parallel.forEachChunk(count) { range in
      for element in range { target[element] += addend[element] }
    }
  }

  func backward(_ node: Node, index: Int, batch: Int) {
    let gradOutput = UnsafePointer(valueGradient(node.output))
    let outputShape = graph.shape(of: node.output)
    let count = batch * outputShape.sampleCount
    let roles = steps[index].parameterOffsets
    func parameter(_ role: ParameterRole) -> UnsafeMutablePointer<Float>? {
      roles[role].map { parameterStore[$0] }
    }
    let gradientRoles = steps[index].gradientOffsets
    func gradient(_ role: ParameterRole) -> UnsafeMutablePointer<Float>? {
      gradientRoles[role].map { gradientStore[$0] }
    }
    let input = node.inputs.first
    switch node.op {
    case .input:
      break
    case .convolution:
      var geometry = steps[index].convolution!.geometry
      geometry.batch = batch
      withInputGradient(input!, batch: batch) { gradInput in
        Conv2D.backward(
          geometry, algorithm: steps[index].convolution!.algorithm, input: value(input!),
          weight: parameter(.weight)!, gradOutput: gradOutput, gradInput: gradInput,
          gradWeight: gradient(.weight), gradBias: gradient(.bias), scratch: scratch.base,
          keptWeight: keptWeight(index).map { UnsafePointer($0) })
      }
    case .pool(let attributes):
      let geometry = Self.poolGeometry(attributes, graph.shape(of: input!), batch: batch)
      withInputGradient(input!, batch: batch) { gradInput in
        guard let gradInput else { return }
        if attributes.kind == .max {
          MaxPool2D.backward(
            geometry, gradOutput: gradOutput, argmax: indices[steps[index].indexOffset!], gradInput: gradInput
          )
        } else {
          AveragePool2D.backward(geometry, gradOutput: gradOutput, gradInput: gradInput)
        }
      }
    case .globalPool(let kind):
      let (channels, spatial) = Self.channelsAndSpatial(graph.shape(of: input!))
      withInputGradient(input!, batch: batch) { gradInput in
        guard let gradInput else { return }
        if kind == .max {
          GlobalPool.maxBackward(
            batch: batch, channels: channels, spatial: spatial, gradOutput: gradOutput,
            argmax: indices[steps[index].indexOffset!], gradInput: gradInput)
        } else {
          GlobalPool.averageBackward(
            batch: batch, channels: channels, spatial: spatial, gradOutput: gradOutput, gradInput: gradInput)
        }
      }
    case .flatten:
      withInputGradient(input!, batch: batch) { gradInput in
        // A view whose gradient shares the output gradient's buffer has nothing to copy.
        guard let gradInput, UnsafePointer(gradInput) != gradOutput else { return }
        gradInput.update(from: gradOutput, count: count)
      }
    case .dense(let attributes):
      withInputGradient(input!, batch: batch) { gradInput in
        Dense.backward(
          batch: batch, inFeatures: graph.shape(of: input!).sampleCount, outFeatures: attributes.units,
          input: value(input!), weight: parameter(.weight)!, gradOutput: gradOutput, gradInput: gradInput,
          gradWeight: gradient(.weight), gradBias: gradient(.bias))
      }
    case .dropout(let rate):
      withInputGradient(input!, batch: batch) { gradInput in
        guard let gradInput else { return }
        if rate > 0 {
          Dropout.backward(
            gradOutput: gradOutput, mask: saved[steps[index].savedOffset!], gradInput: gradInput, count: count
          )
        } else {
          gradInput.update(from: gradOutput, count: count)
        }
      }
    case .batchNorm(let attributes):
      let (channels, spatial) = Self.channelsAndSpatial(outputShape)
      let batchStatistics = usesBatchStatistics(node, training: true)
      withInputGradient(input!, batch: batch) { gradInput in
        if batchStatistics, let reduce = batchStatisticsReduction {
          BatchNorm.backwardTrainingSynchronized(
            batch: batch, channels: channels, spatial: spatial, total: synchronizedTotals[index],
            input: value(input!), scale: parameter(.gamma), savedStatistics: saved[steps[index].savedOffset!],
            gradOutput: gradOutput, gradInput: gradInput, gradScale: gradient(.gamma),
            gradShift: gradient(.beta),
            reduce: reduce)
        } else if batchStatistics {
          BatchNorm.backwardTraining(
            batch: batch, channels: channels, spatial: spatial, input: value(input!),
            scale: parameter(.gamma),
            savedStatistics: saved[steps[index].savedOffset!], gradOutput: gradOutput, gradInput: gradInput,
            gradScale: gradient(.gamma), gradShift: gradient(.beta))
        } else {
          BatchNorm.backwardInference(
            batch: batch, channels: channels, spatial: spatial, epsilon: Float(attributes.epsilon),
            input: value(input!), scale: parameter(.gamma), runningMean: parameter(.runningMean)!,
            runningVariance: parameter(.runningVariance)!, gradOutput: gradOutput, gradInput: gradInput,
            gradScale: gradient(.gamma), gradShift: gradient(.beta))
        }
      }
    case .activation(let activation):
      withInputGradient(input!, batch: batch) { gradInput in
        guard let gradInput else { return }
        if let kind = Self.activationKind(activation) {
          if activation.gradientFromOutput {
            kind.backward(
              output: value(node.output), gradOutput: gradOutput, gradInput: gradInput, count: count)
          } else {
            kind.backward(input: value(input!), gradOutput: gradOutput, gradInput: gradInput, count: count)
          }
        } else {
          let (channels, spatial) = Self.channelsAndSpatial(outputShape)
          Softmax.backward(
            batch: batch, channels: channels, spatial: spatial, output: value(node.output),
            gradOutput: gradOutput,
            gradInput: gradInput)
        }
      }
    case .add:
      for operand in node.inputs {
        withInputGradient(operand, batch: batch) { $0?.update(from: gradOutput, count: count) }
      }
    case .concat:
      let spatial = outputShape.sample.dropFirst().reduce(1, *)
      let channels = steps[index].concatChannels
      var offset = 0
      for (position, operand) in node.inputs.enumerated() {
        let block = channels[position] * spatial
        let total = outputShape.sampleCount
        let sliceStart = offset
        withInputGradient(operand, batch: batch) { gradInput in
          guard let gradInput else { return }
          for n in 0..<batch {
            (gradInput + n * block).update(from: gradOutput + n * total + sliceStart, count: block)
          }
        }
        offset += block
      }
    case .zeroPadding(let padding):
      let sample = graph.shape(of: input!).sample
      withInputGradient(input!, batch: batch) { gradInput in
        guard let gradInput else { return }
        ZeroPadding2D.backward(
          planes: batch * sample[0], height: sample[1], width: sample[2], top: padding.top,
          bottom: padding.bottom, left: padding.left, right: padding.right, gradOutput: gradOutput,
          gradInput: gradInput)
      }
    case .upsample(let attributes):
      let sample = graph.shape(of: input!).sample
      let kernel =
        attributes.mode == .nearest ? Upsample2D.nearestBackward : Upsample2D.bilinearBackward
      withInputGradient(input!, batch: batch) { gradInput in
        guard let gradInput else { return }
        kernel(batch * sample[0], sample[1], sample[2], attributes.scale, gradOutput, gradInput)
      }
    case .lrn(let attributes):
      let sample = graph.shape(of: input!).sample
      withInputGradient(input!, batch: batch) { gradInput in
        guard let gradInput else { return }
        LocalResponseNorm.backward(
          batch: batch, channels: sample[0], spatial: sample[1] * sample[2], size: attributes.size,
          alpha: Float(attributes.alpha), beta: Float(attributes.beta), bias: Float(attributes.bias),
          input: value(input!), gradOutput: gradOutput, gradInput: gradInput, scratch: scratch.base)
      }
    case .fused(let attributes):
      backwardFused(node, attributes, index: index, batch: batch)
    case .reorder:
      preconditionFailure("a reorder has no backward: only inference graphs change layout")
    }
  }

  /// The activation's gradient from the saved output, written over the output gradient (nothing
  /// else reads it), then the base op's VJP.
  func backwardFused(_ node: Node, _ attributes: FusedAttributes, index: Int, batch: Int) {
    precondition(attributes.batchNorm == nil, "a folded batchnorm has no backward (inference only)")
    let count = batch * graph.shape(of: node.output).sampleCount
    let gradOutput = valueGradient(node.output)
    if let kind = Self.activationKind(attributes.activation), kind != .linear {
      kind.backward(output: value(node.output), gradOutput: gradOutput, gradInput: gradOutput, count: count)
    }
    let roles = steps[index].parameterOffsets
    func parameter(_ role: ParameterRole) -> UnsafeMutablePointer<Float>? {
      roles[role].map { parameterStore[$0] }
    }
    let gradientRoles = steps[index].gradientOffsets
    func gradient(_ role: ParameterRole) -> UnsafeMutablePointer<Float>? {
      gradientRoles[role].map { gradientStore[$0] }
    }
    let input = node.inputs[0]
    switch attributes.base {
    case .convolution:
      var geometry = steps[index].convolution!.geometry
      geometry.batch = batch
      withInputGradient(input, batch: batch) { gradInput in
        Conv2D.backward(
          geometry, algorithm: steps[index].convolution!.algorithm, input: value(input),
          weight: parameter(.weight)!, gradOutput: gradOutput, gradInput: gradInput,
          gradWeight: gradient(.weight), gradBias: gradient(.bias), scratch: scratch.base,
          keptWeight: keptWeight(index).map { UnsafePointer($0) })
      }
    case .dense(let attributes):
      withInputGradient(input, batch: batch) { gradInput in
        Dense.backward(
          batch: batch, inFeatures: graph.shape(of: input).sampleCount, outFeatures: attributes.units,
          input: value(input), weight: parameter(.weight)!, gradOutput: gradOutput, gradInput: gradInput,
          gradWeight: gradient(.weight), gradBias: gradient(.bias))
      }
    case .add:
      for operand in node.inputs {
        withInputGradient(operand, batch: batch) { $0?.update(from: gradOutput, count: count) }
      }
    }
  }
}
