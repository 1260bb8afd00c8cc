import CBLAS
import NNCGraph
import NNCRandom

/// Runs a graph on the CPU: the forward pass for inference or training, and the backward pass that
/// applies each node's vector-Jacobian product in reverse order, summing the gradients of values
/// with several consumers (residual shortcuts, Inception branches).
///
/// All memory is planned once for `maxBatch`: parameters and their gradients in one flat buffer each,
/// every value and its gradient at fixed offsets, kernel scratch shared. Smaller batches use a prefix
/// of each NCHW tensor.
public final class Executor {
  public let graph: Graph
  public let maxBatch: Int

  /// Where each parameter lives in `parameters` and `parameterGradients`.
  public let parameterLayout: [ParameterSlot]
  public let parameterCount: Int
  let parameterStore: Arena<Float>
  let gradientStore: Arena<Float>

  let values: Arena<Float>
  let valueGradients: Arena<Float>
  let valueOffsets: [Int]
  let sampleCounts: [Int]
  /// Shared im2col columns, and a buffer for a gradient contribution that must be added, not written.
  let scratch: Arena<Float>
  let contribution: Arena<Float>
  /// Per node: argmax indices (max pooling), saved batch statistics (batchnorm), dropout masks.
  let indices: Arena<Int32>
  let saved: Arena<Float>
  let nodeIndexOffsets: [Int]
  let nodeSavedOffsets: [Int]
  /// Per node, the offset in `parameters` of each of its parameters by role.
  let nodeParameters: [[ParameterRole: Int]]
  let consumers: [Int]
  var gradientWritten: [Bool]

  /// Draws dropout masks; saved in checkpoints so a resumed run draws the same ones.
  public var generator: RandomGenerator

  public struct ParameterSlot: Sendable {
    public var info: ParameterInfo
    public var offset: Int
  }

  public init(graph: Graph, maxBatch: Int, seed: UInt64 = 0) {
    self.graph = graph
    self.maxBatch = max(1, maxBatch)
    generator = RandomGenerator(seed: seed)

    var layout: [ParameterSlot] = []
    var nodeParameters: [[ParameterRole: Int]] = []
    var offset = 0
    for node in graph.nodes {
      var roles: [ParameterRole: Int] = [:]
      for info in node.parameters {
        layout.append(ParameterSlot(info: info, offset: offset))
        roles[info.role] = offset
        offset += info.count
      }
      nodeParameters.append(roles)
    }
    parameterLayout = layout
    parameterCount = offset
    self.nodeParameters = nodeParameters
    parameterStore = Arena(count: offset, zero: 0)
    gradientStore = Arena(count: offset, zero: 0)

    sampleCounts = graph.shapes.map(\.sampleCount)
    var valueOffsets: [Int] = []
    var total = 0
    for count in sampleCounts {
      valueOffsets.append(total)
      total += count * self.maxBatch
    }
    self.valueOffsets = valueOffsets
    values = Arena(count: total, zero: 0)
    valueGradients = Arena(count: total, zero: 0)
    contribution = Arena(count: (sampleCounts.max() ?? 1) * self.maxBatch, zero: 0)

    var scratchCount = 0
    var indexOffsets: [Int] = []
    var savedOffsets: [Int] = []
    var indexTotal = 0
    var savedTotal = 0
    var consumers = [Int](repeating: 0, count: graph.shapes.count)
    for node in graph.nodes {
      for input in node.inputs { consumers[input.index] += 1 }
      indexOffsets.append(indexTotal)
      savedOffsets.append(savedTotal)
      let output = graph.shape(of: node.output)
      switch node.op {
      case .convolution(let attributes):
        let geometry = Self.convolutionGeometry(
          attributes, graph.shape(of: node.inputs[0]), batch: self.maxBatch)
        if !geometry.isDepthwise { scratchCount = max(scratchCount, Conv2D.scratchCount(geometry)) }
      case .pool(let attributes) where attributes.kind == .max:
        indexTotal += output.sampleCount * self.maxBatch
      case .globalPool(.max):
        indexTotal += output.sampleCount * self.maxBatch
      case .batchNorm:
        savedTotal += BatchNorm.savedStatisticsCount(channels: output.sample[0])
      case .dropout:
        savedTotal += output.sampleCount * self.maxBatch
      default: break
      }
    }
    self.consumers = consumers
    nodeIndexOffsets = indexOffsets
    nodeSavedOffsets = savedOffsets
    scratch = Arena(count: scratchCount, zero: 0)
    indices = Arena(count: indexTotal, zero: 0)
    saved = Arena(count: savedTotal, zero: 0)
    gradientWritten = [Bool](repeating: false, count: graph.shapes.count)
  }

  // MARK: Buffers

  public var parameters: UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: parameterStore.base, count: parameterCount)
  }

  public var parameterGradients: UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: gradientStore.base, count: parameterCount)
  }

  public func parameter(_ slot: ParameterSlot) -> UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: parameterStore[slot.offset], count: slot.info.count)
  }

  public func gradient(_ slot: ParameterSlot) -> UnsafeMutableBufferPointer<Float> {
    UnsafeMutableBufferPointer(start: gradientStore[slot.offset], count: slot.info.count)
  }

  public func value(_ id: ValueID) -> UnsafeMutablePointer<Float> { values[valueOffsets[id.index]] }

  func valueGradient(_ id: ValueID) -> UnsafeMutablePointer<Float> { valueGradients[valueOffsets[id.index]] }

  /// Where the caller writes a batch of inputs (`maxBatch` × sample size).
  public var input: UnsafeMutablePointer<Float> { value(graph.input) }
  public var inputSampleCount: Int { sampleCounts[graph.input.index] }

  /// The model's output after `forward`.
  public var output: UnsafeMutablePointer<Float> { value(graph.output) }
  public var outputSampleCount: Int { sampleCounts[graph.output.index] }

  /// Where the caller writes d(loss)/d(output) before `backward`.
  public var outputGradient: UnsafeMutablePointer<Float> { valueGradient(graph.output) }

  /// Sets OpenBLAS's thread count (products); other kernels use all cores through Dispatch.
  public static func setBLASThreads(_ count: Int) {
    openblas_set_num_threads(Int32(max(1, count)))
  }

  // MARK: Geometry

  static func convolutionGeometry(_ a: ConvolutionAttributes, _ input: Shape, batch: Int) -> Conv2DGeometry {
    let sample = input.sample
    return Conv2DGeometry(
      batch: batch, inChannels: sample[0], inHeight: sample[1], inWidth: sample[2], outChannels: a.filters,
      kernelHeight: a.kernel.height, kernelWidth: a.kernel.width, strideH: a.stride.height,
      strideW: a.stride.width,
      dilationH: a.dilation.height, dilationW: a.dilation.width, padTop: a.padding.top,
      padBottom: a.padding.bottom,
      padLeft: a.padding.left, padRight: a.padding.right, groups: a.groups)
  }

  static func poolGeometry(_ a: PoolAttributes, _ input: Shape, batch: Int) -> Pool2DGeometry {
    let sample = input.sample
    return Pool2DGeometry(
      batch: batch, channels: sample[0], inHeight: sample[1], inWidth: sample[2], windowH: a.window.height,
      windowW: a.window.width, strideH: a.stride.height, strideW: a.stride.width, padTop: a.padding.top,
      padBottom: a.padding.bottom, padLeft: a.padding.left, padRight: a.padding.right)
  }

  static func activationKind(_ activation: Activation) -> ActivationKind? {
    switch activation {
    case .linear: return .linear
    case .relu: return .relu
    case .relu6: return .relu6
    case .sigmoid: return .sigmoid
    case .tanh: return .tanh
    case .leakyRelu(let alpha): return .leakyRelu(alpha: Float(alpha))
    case .elu(let alpha): return .elu(alpha: Float(alpha))
    case .gelu: return .gelu
    case .silu: return .silu
    case .hardSigmoid: return .hardSigmoid
    case .softmax: return nil
    }
  }

  /// Channels and positions per channel of a [N,C] or [N,C,H,W] value.
  static func channelsAndSpatial(_ shape: Shape) -> (Int, Int) {
    let sample = shape.sample
    return (sample[0], sample.dropFirst().reduce(1, *))
  }

  /// Whether a batchnorm runs on batch statistics: only while training and only if it is not frozen
  /// (a frozen batchnorm keeps its running statistics, as Keras does when fine-tuning).
  func usesBatchStatistics(_ node: Node, training: Bool) -> Bool {
    training && !node.isFrozen
  }
}
