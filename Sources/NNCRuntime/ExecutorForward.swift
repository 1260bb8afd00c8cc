import NNCGraph

extension Executor {
  /// Runs every node on the first `batch` samples of `input`. In training, batchnorm uses (and
  /// updates) batch statistics and dropout draws masks; otherwise both are deterministic.
  public func forward(batch: Int, training: Bool) {
    precondition(batch >= 1 && batch <= maxBatch, "batch \(batch) outside the planned 1...\(maxBatch)")
    for (index, node) in graph.nodes.enumerated() {
      forward(node, index: index, batch: batch, training: training)
    }
  }

  func forward(_ node: Node, index: Int, batch: Int, training: Bool) {
    let output = value(node.output)
    let outputShape = graph.shape(of: node.output)
    let count = batch * outputShape.sampleCount
    let roles = nodeParameters[index]
    func parameter(_ role: ParameterRole) -> UnsafeMutablePointer<Float>? {
      roles[role].map { parameterStore[$0] }
    }
    switch node.op {
    case .input:
      break
    case .convolution(let attributes):
      let geometry = Self.convolutionGeometry(attributes, graph.shape(of: node.inputs[0]), batch: batch)
      if geometry.isDepthwise {
        DepthwiseConv2D.forward(
          geometry, input: value(node.inputs[0]), weight: parameter(.weight)!, bias: parameter(.bias),
          output: output)
      } else {
        Conv2D.forward(
          geometry, input: value(node.inputs[0]), weight: parameter(.weight)!, bias: parameter(.bias),
          output: output,
          scratch: scratch.base)
      }
    case .pool(let attributes):
      let geometry = Self.poolGeometry(attributes, graph.shape(of: node.inputs[0]), batch: batch)
      if attributes.kind == .max {
        MaxPool2D.forward(
          geometry, input: value(node.inputs[0]), output: output, argmax: indices[nodeIndexOffsets[index]])
      } else {
        AveragePool2D.forward(geometry, input: value(node.inputs[0]), output: output)
      }
    case .globalPool(let kind):
      let (channels, spatial) = Self.channelsAndSpatial(graph.shape(of: node.inputs[0]))
      if kind == .max {
        GlobalPool.maxForward(
          batch: batch, channels: channels, spatial: spatial, input: value(node.inputs[0]), output: output,
          argmax: indices[nodeIndexOffsets[index]])
      } else {
        GlobalPool.averageForward(
          batch: batch, channels: channels, spatial: spatial, input: value(node.inputs[0]), output: output)
      }
    case .flatten:
      output.update(from: value(node.inputs[0]), count: count)
    case .dense(let attributes):
      Dense.forward(
        batch: batch, inFeatures: graph.shape(of: node.inputs[0]).sampleCount, outFeatures: attributes.units,
        input: value(node.inputs[0]), weight: parameter(.weight)!, bias: parameter(.bias), output: output)
    case .dropout(let rate):
      if training && rate > 0 {
        Dropout.forward(
          rate: Float(rate), input: value(node.inputs[0]), output: output,
          mask: saved[nodeSavedOffsets[index]],
          count: count, generator: &generator)
      } else {
        output.update(from: value(node.inputs[0]), count: count)
      }
    case .batchNorm(let attributes):
      let (channels, spatial) = Self.channelsAndSpatial(outputShape)
      if usesBatchStatistics(node, training: training) {
        BatchNorm.forwardTraining(
          batch: batch, channels: channels, spatial: spatial, epsilon: Float(attributes.epsilon),
          momentum: Float(attributes.momentum), input: value(node.inputs[0]), scale: parameter(.gamma),
          shift: parameter(.beta), output: output, runningMean: parameter(.runningMean)!,
          runningVariance: parameter(.runningVariance)!, savedStatistics: saved[nodeSavedOffsets[index]])
      } else {
        BatchNorm.forwardInference(
          batch: batch, channels: channels, spatial: spatial, epsilon: Float(attributes.epsilon),
          input: value(node.inputs[0]), scale: parameter(.gamma), shift: parameter(.beta), output: output,
          runningMean: parameter(.runningMean)!, runningVariance: parameter(.runningVariance)!)
      }
    case .activation(let activation):
      if let kind = Self.activationKind(activation) {
        kind.forward(value(node.inputs[0]), output, count: count)
      } else {
        let (channels, spatial) = Self.channelsAndSpatial(outputShape)
        Softmax.forward(
          batch: batch, channels: channels, spatial: spatial, input: value(node.inputs[0]), output: output)
      }
    case .add:
      Add.forward(value(node.inputs[0]), value(node.inputs[1]), output: output, count: count)
    case .concat:
      let spatial = outputShape.sample.dropFirst().reduce(1, *)
      Concat.forward(
        batch: batch, spatial: spatial, inputs: node.inputs.map { UnsafePointer(value($0)) },
        channels: node.inputs.map { graph.shape(of: $0).sample[0] }, output: output)
    }
  }
}
