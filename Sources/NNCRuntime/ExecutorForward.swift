import NNCGraph

extension Executor {
  /// Runs every node on the first `batch` samples of `input`. In training, batchnorm uses (and
  /// updates) batch statistics and dropout draws masks; otherwise both are deterministic.
  public func forward(batch: Int, training: Bool) {
    precondition(batch >= 1 && batch <= maxBatch, "batch \(batch) outside the planned 1...\(maxBatch)")
    precondition(
      !training || configuration.mode == .training, "this executor was built for inference; it cannot train")
    if let profile {
      profile.prepare(plan)
      for (index, node) in graph.nodes.enumerated() {
        profile.measure(node: index, pass: .forward) {
          forward(node, index: index, batch: batch, training: training)
        }
      }
      preparedWeightsAreCurrent = configuration.cachesPreparedWeights
      return
    }
    for (index, node) in graph.nodes.enumerated() {
      forward(node, index: index, batch: batch, training: training)
    }
    preparedWeightsAreCurrent = configuration.cachesPreparedWeights
  }

  func forward(_ node: Node, index: Int, batch: Int, training: Bool) {
    let output = value(node.output)
    let outputShape = graph.shape(of: node.output)
    let count = batch * outputShape.sampleCount
    let roles = steps[index].parameterOffsets
    func parameter(_ role: ParameterRole) -> UnsafeMutablePointer<Float>? {
      roles[role].map { parameterStore[$0] }
    }
    switch node.op {
    case .input:
      break
    case .convolution:
      var geometry = steps[index].convolution!.geometry
      geometry.batch = batch
      if let pooled = steps[index].pooled {
        DirectConv2D.forward(
          geometry, input: value(node.inputs[0]), weight: parameter(.weight)!, bias: parameter(.bias),
          output: output, scratch: scratch.base, activation: .linear, channelScale: nil,
          pool: pooledOutput(pooled, batch: batch))
        break
      }
      if let reorder = steps[index].channelsLastOutput {
        Conv2D.patchProductForward(
          geometry, input: value(node.inputs[0]), weight: parameter(.weight)!, bias: parameter(.bias),
          output: value(graph.nodes[reorder].output), activation: .linear, channelScale: nil,
          scratch: scratch.base, outputLayout: .channelsLast)
        break
      }
      convolutionForward(
        index: index, geometry: geometry, input: value(node.inputs[0]), weight: parameter(.weight)!,
        bias: parameter(.bias), channelScale: nil, activation: .linear, output: output)
    case .pool(let attributes):
      if steps[index].isPooledByProducer { break }
      let geometry = Self.poolGeometry(attributes, graph.shape(of: node.inputs[0]), batch: batch)
      if attributes.kind == .max && configuration.mode == .inference {
        MaxPool2D.forwardValues(geometry, input: value(node.inputs[0]), output: output)
      } else if attributes.kind == .max {
        MaxPool2D.forward(
          geometry, input: value(node.inputs[0]), output: output, argmax: indices[steps[index].indexOffset!])
      } else {
        AveragePool2D.forward(geometry, input: value(node.inputs[0]), output: output)
      }
    case .globalPool(let kind):
      let (channels, spatial) = Self.channelsAndSpatial(graph.shape(of: node.inputs[0]))
      if kind == .max {
        GlobalPool.maxForward(
          batch: batch, channels: channels, spatial: spatial, input: value(node.inputs[0]), output: output,
          argmax: indices[steps[index].indexOffset!])
      } else {
        GlobalPool.averageForward(
          batch: batch, channels: channels, spatial: spatial, input: value(node.inputs[0]), output: output)
      }
    case .flatten:
      // A view (in place) shares its input's buffer: nothing to copy.
      let input = value(node.inputs[0])
      if input != output { output.update(from: input, count: count) }
    case .dense(let attributes):
      denseForward(
        index: index, batch: batch, inFeatures: graph.shape(of: node.inputs[0]).sampleCount,
        outFeatures: attributes.units, input: value(node.inputs[0]), weight: parameter(.weight)!,
        bias: parameter(.bias).map { UnsafePointer($0) }, output: output, activation: .linear,
        training: training)
    case .dropout(let rate):
      if training && rate > 0 {
        drawDropoutMask(
          rate: Float(rate), input: value(node.inputs[0]), output: output,
          mask: saved[steps[index].savedOffset!], batch: batch, sampleCount: outputShape.sampleCount)
      } else {
        output.update(from: value(node.inputs[0]), count: count)
      }
    case .batchNorm(let attributes):
      let (channels, spatial) = Self.channelsAndSpatial(outputShape)
      if usesBatchStatistics(node, training: training), let reduce = batchStatisticsReduction {
        synchronizedTotals[index] = BatchNorm.forwardTrainingSynchronized(
          batch: batch, channels: channels, spatial: spatial, epsilon: Float(attributes.epsilon),
          momentum: Float(attributes.momentum), input: value(node.inputs[0]), scale: parameter(.gamma),
          shift: parameter(.beta), output: output, runningMean: parameter(.runningMean)!,
          runningVariance: parameter(.runningVariance)!, savedStatistics: saved[steps[index].savedOffset!],
          activation: steps[index].activationAfterNormalizing, reduce: reduce)
      } else if usesBatchStatistics(node, training: training) {
        BatchNorm.forwardTraining(
          batch: batch, channels: channels, spatial: spatial, epsilon: Float(attributes.epsilon),
          momentum: Float(attributes.momentum), input: value(node.inputs[0]), scale: parameter(.gamma),
          shift: parameter(.beta), output: output, runningMean: parameter(.runningMean)!,
          runningVariance: parameter(.runningVariance)!, savedStatistics: saved[steps[index].savedOffset!],
          activation: steps[index].activationAfterNormalizing)
      } else {
        BatchNorm.forwardInference(
          batch: batch, channels: channels, spatial: spatial, epsilon: Float(attributes.epsilon),
          input: value(node.inputs[0]), scale: parameter(.gamma), shift: parameter(.beta), output: output,
          runningMean: parameter(.runningMean)!, runningVariance: parameter(.runningVariance)!,
          activation: steps[index].activationAfterNormalizing)
      }
    case .activation(let activation):
      if steps[index].isActivatedByProducer { break }
      if let kind = Self.activationKind(activation) {
        kind.forward(value(node.inputs[0]), output, count: count)
      } else {
        let (channels, spatial) = Self.channelsAndSpatial(outputShape)
        Softmax.forward(
          batch: batch, channels: channels, spatial: spatial, input: value(node.inputs[0]), output: output)
      }
    case .add:
      if steps[index].isAddedByProducer { break }
      Add.forward(value(node.inputs[0]), value(node.inputs[1]), output: output, count: count)
    case .concat:
      let spatial = outputShape.sample.dropFirst().reduce(1, *)
      Concat.forward(
        batch: batch, spatial: spatial, inputs: concatInputs[index], channels: steps[index].concatChannels,
        output: output)
    case .zeroPadding(let padding):
      let sample = graph.shape(of: node.inputs[0]).sample
      ZeroPadding2D.forward(
        planes: batch * sample[0], height: sample[1], width: sample[2], top: padding.top,
        bottom: padding.bottom, left: padding.left, right: padding.right, input: value(node.inputs[0]),
        output: output)
    case .upsample(let attributes):
      let sample = graph.shape(of: node.inputs[0]).sample
      let kernel =
        attributes.mode == .nearest ? Upsample2D.nearestForward : Upsample2D.bilinearForward
      kernel(batch * sample[0], sample[1], sample[2], attributes.scale, value(node.inputs[0]), output)
    case .lrn(let attributes):
      let sample = graph.shape(of: node.inputs[0]).sample
      LocalResponseNorm.forward(
        batch: batch, channels: sample[0], spatial: sample[1] * sample[2], size: attributes.size,
        alpha: Float(attributes.alpha), beta: Float(attributes.beta), bias: Float(attributes.bias),
        input: value(node.inputs[0]), output: output)
    case .fused(let attributes):
      forwardFused(node, attributes, index: index, batch: batch, training: training)
    case .reorder(let layout):
      if steps[index].isReorderedByProducer { break }
      let sample = graph.shape(of: node.inputs[0]).sample
      LayoutReorder.forward(
        to: layout, batch: batch, channels: sample[0], pixels: sample[1] * sample[2],
        input: value(node.inputs[0]), output: output)
    }
  }

  /// A dense layer. Outside training from packed weights (`PackedDense`, up to its size limit): kept
  /// between batches when the plan keeps them, else packed into the scratch after the transposed
  /// inputs, so neither caching prepared weights nor the executor's mode changes an inference result
  /// (`nnc train`'s test metrics are `nnc eval`'s). A training step's forward goes through OpenBLAS.
  func denseForward(
    index: Int, batch: Int, inFeatures: Int, outFeatures: Int, input: UnsafePointer<Float>,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>,
    activation: ActivationKind, training: Bool
  ) {
    guard !training && PackedDense.runs(inFeatures: inFeatures, outFeatures: outFeatures) else {
      Dense.forward(
        batch: batch, inFeatures: inFeatures, outFeatures: outFeatures, input: input, weight: weight,
        bias: bias,
        output: output, activation: activation)
      return
    }
    let kept = keptWeight(index)
    let columns = PackedDense.scratchCount(batch: batch, inFeatures: inFeatures)
    PackedDense.forward(
      batch: batch, inFeatures: inFeatures, outFeatures: outFeatures, input: input, weight: weight,
      bias: bias,
      output: output, activation: activation, packed: kept ?? scratch.base + columns,
      packedIsCurrent: kept != nil && preparedWeightsAreCurrent, scratch: scratch.base)
  }

  func forwardFused(_ node: Node, _ attributes: FusedAttributes, index: Int, batch: Int, training: Bool) {
    let output = value(node.output)
    let count = batch * graph.shape(of: node.output).sampleCount
    let roles = steps[index].parameterOffsets
    func parameter(_ role: ParameterRole) -> UnsafeMutablePointer<Float>? {
      roles[role].map { parameterStore[$0] }
    }
    // Fused activations are element-wise (the verifier guarantees it).
    let activation = Self.activationKind(attributes.activation) ?? .linear
    switch attributes.base {
    case .convolution:
      var geometry = steps[index].convolution!.geometry
      geometry.batch = batch
      let algorithm = steps[index].convolution!.algorithm
      var weight = UnsafePointer(parameter(.weight)!)
      var bias = parameter(.bias).map { UnsafePointer($0) }
      var channelScale: UnsafePointer<Float>?
      let region = folded.base + (steps[index].foldedOffset ?? 0)
      // A node's own region holds what the last forward folded, from the same parameters.
      let foldedIsCurrent = steps[index].foldedOffset != nil && preparedWeightsAreCurrent
      let (channels, weightCount) = (geometry.outChannels, geometry.weightCount)
      if let batchNorm = attributes.batchNorm {
        if algorithm.takesScaledWeights {
          // The depthwise kernels have no epilogue scale: the batchnorm scales their weights.
          if foldedIsCurrent {
            (weight, bias) = (UnsafePointer(region), UnsafePointer(region + weightCount + channels))
          } else {
            (weight, bias) = foldBatchNorm(
              batchNorm, roles: roles, channels: channels, weightCount: weightCount, weight: weight,
              bias: bias,
              into: region)
          }
        } else if foldedIsCurrent {
          (channelScale, bias) = (UnsafePointer(region), UnsafePointer(region + channels))
        } else {
          // A folded batchnorm scales the convolution's output channels (see `convolutionEpilogue`).
          (channelScale, bias) = batchNormScaleAndShift(
            batchNorm, roles: roles, channels: channels, bias: bias, into: region)
        }
      }
      if let pooled = steps[index].pooled {
        DirectConv2D.forward(
          geometry, input: value(node.inputs[0]), weight: weight, bias: bias, output: output,
          scratch: scratch.base, activation: activation, channelScale: channelScale,
          pool: pooledOutput(pooled, batch: batch))
        return
      }
      if let reorder = steps[index].channelsLastOutput {
        Conv2D.patchProductForward(
          geometry, input: value(node.inputs[0]), weight: weight, bias: bias,
          output: value(graph.nodes[reorder].output), activation: activation, channelScale: channelScale,
          scratch: scratch.base, outputLayout: .channelsLast)
        return
      }
      convolutionForward(
        index: index, geometry: geometry, input: value(node.inputs[0]), weight: weight, bias: bias,
        channelScale: channelScale, activation: activation, output: output)
    case .dense(let dense):
      let inFeatures = graph.shape(of: node.inputs[0]).sampleCount
      var weight = UnsafePointer(parameter(.weight)!)
      var bias = parameter(.bias).map { UnsafePointer($0) }
      if let batchNorm = attributes.batchNorm {
        let region = folded.base + (steps[index].foldedOffset ?? 0)
        let weightCount = dense.units * inFeatures
        if steps[index].foldedOffset != nil && preparedWeightsAreCurrent {
          (weight, bias) = (UnsafePointer(region), UnsafePointer(region + weightCount + dense.units))
        } else {
          (weight, bias) = foldBatchNorm(
            batchNorm, roles: roles, channels: dense.units, weightCount: weightCount, weight: weight,
            bias: bias,
            into: region)
        }
      }
      denseForward(
        index: index, batch: batch, inFeatures: inFeatures, outFeatures: dense.units,
        input: value(node.inputs[0]),
        weight: weight, bias: bias, output: output, activation: activation, training: training)
    case .add:
      if steps[index].isAddedByProducer { return }
      Add.forward(
        value(node.inputs[0]), value(node.inputs[1]), output: output, count: count, activation: activation)
    }
  }

  /// Writes s = gamma / √(var + ε) and (b − mean)·s + beta per output channel to `folded` and returns
  /// them: a batchnorm after a layer with bias b, as a scale and shift of the layer's output.
  func batchNormScaleAndShift(
    _ batchNorm: BatchNormAttributes, roles: [ParameterRole: Int], channels: Int,
    bias: UnsafePointer<Float>?, into folded: UnsafeMutablePointer<Float>
  ) -> (UnsafePointer<Float>, UnsafePointer<Float>) {
    let gamma = roles[.gamma].map { parameterStore[$0] }
    let beta = roles[.beta].map { parameterStore[$0] }
    let mean = parameterStore[roles[.runningMean]!]
    let variance = parameterStore[roles[.runningVariance]!]
    let epsilon = Float(batchNorm.epsilon)
    let shift = folded + channels
    for channel in 0..<channels {
      let scale = batchNormScale(gamma: gamma?[channel], variance: variance[channel], epsilon: epsilon)
      folded[channel] = scale
      shift[channel] = ((bias?[channel] ?? 0) - mean[channel]) * scale + (beta?[channel] ?? 0)
    }
    return (UnsafePointer(folded), UnsafePointer(shift))
  }

  /// gamma / √(var + ε): the same expression as BatchNorm.forwardInference, so both round alike.
  @inline(__always)
  private func batchNormScale(gamma: Float?, variance: Float, epsilon: Float) -> Float {
    (gamma ?? 1) * (1 / (variance + epsilon).squareRoot())
  }

  /// Writes w·s, then s and the shift of `batchNormScaleAndShift`, to `folded` (weights, then
  /// `2 · channels` floats) and returns the scaled weights and the shift, which is the folded bias.
  /// Recomputed on every call: parameters may change between calls (training, a loaded checkpoint).
  func foldBatchNorm(
    _ batchNorm: BatchNormAttributes, roles: [ParameterRole: Int], channels: Int, weightCount: Int,
    weight: UnsafePointer<Float>, bias: UnsafePointer<Float>?, into folded: UnsafeMutablePointer<Float>
  ) -> (UnsafePointer<Float>, UnsafePointer<Float>?) {
    let (scale, shift) = batchNormScaleAndShift(
      batchNorm, roles: roles, channels: channels, bias: bias, into: folded + weightCount)
    let perChannel = weightCount / channels
    Parallel.forEach(channels, workPerItem: perChannel) { channel in
      let row = channel * perChannel
      for element in row..<(row + perChannel) { folded[element] = weight[element] * scale[channel] }
    }
    return (UnsafePointer(folded), shift)
  }

  /// Runs the convolution of step `index` with its prepared operands, as the plan fused it: a
  /// depthwise step the pointwise step after it computes only hands its operands on
  /// (`pendingDepthwise`); that pointwise step runs both (`Conv2D.separableChannelsLastForward`);
  /// a fused residual addition is added in the epilogue and written to the addition's output.
  func convolutionForward(
    index: Int, geometry: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, channelScale: UnsafePointer<Float>?, activation: ActivationKind,
    output: UnsafeMutablePointer<Float>
  ) {
    if steps[index].isComputedByConsumer {
      pendingDepthwise = PendingDepthwise(
        geometry: geometry, input: input, weight: weight, bias: bias, activation: activation)
      return
    }
    let residual = residualOutput(index)
    if steps[index].separableDepthwise != nil {
      guard let depthwise = pendingDepthwise else {
        preconditionFailure("the depthwise step before a fused pointwise step handed nothing on")
      }
      pendingDepthwise = nil
      Conv2D.separableChannelsLastForward(
        depthwise: depthwise.geometry, input: depthwise.input, depthwiseWeight: depthwise.weight,
        depthwiseBias: depthwise.bias, depthwiseActivation: depthwise.activation, pointwise: geometry,
        weight: weight, bias: bias, channelScale: channelScale,
        activation: residual?.activation ?? activation,
        shortcut: residual?.shortcut, output: residual?.output ?? output, scratch: scratch.base,
        packedWeight: keptWeight(index), packedWeightIsCurrent: preparedWeightsAreCurrent)
      return
    }
    Conv2D.forward(
      geometry, algorithm: steps[index].convolution!.forwardAlgorithm, input: input, weight: weight,
      bias: bias,
      output: residual?.output ?? output, scratch: scratch.base,
      activation: residual?.activation ?? activation,
      keptWeight: keptWeight(index), channelScale: channelScale,
      keptWeightIsPrepared: preparedWeightsAreCurrent,
      shortcut: residual?.shortcut)
  }

  /// Where the convolution of step `index` writes a residual addition fused into it: the addition's
  /// output, its shortcut and its activation (the convolution's own is linear); nil without one.
  func residualOutput(_ index: Int) -> (
    output: UnsafeMutablePointer<Float>, shortcut: UnsafePointer<Float>, activation: ActivationKind
  )? {
    guard let residual = steps[index].residual else { return nil }
    return (
      value(graph.nodes[residual.node].output), UnsafePointer(value(residual.shortcut)), residual.activation
    )
  }

  /// The geometry at `batch` and the output of a max pooling fused into its convolution.
  func pooledOutput(_ pooled: PlannedPool, batch: Int) -> (
    geometry: Pool2DGeometry, output: UnsafeMutablePointer<Float>
  ) {
    var geometry = pooled.geometry
    geometry.batch = batch
    return (geometry, value(graph.nodes[pooled.node].output))
  }
}

/// The operands of a depthwise convolution computed by the pointwise step after it.
struct PendingDepthwise {
  let geometry: Conv2DGeometry
  let input: UnsafePointer<Float>
  let weight: UnsafePointer<Float>
  let bias: UnsafePointer<Float>?
  let activation: ActivationKind
}
