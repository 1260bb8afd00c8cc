/// What `ONNXExporter` writes besides the graph: the opset, the batch dimension, whether batchnorm
/// is folded, an activation that turns the model's outputs into probabilities, and metadata.
public struct ONNXExportOptions: Sendable {
  /// The batch dimension of the input and output: a named dimension (`N`) any batch fits, or a fixed size.
  public enum Batch: Sendable, Equatable {
    case dynamic
    case fixed(Int)
  }

  /// Appended after the model's last layer when the loss applies it (the model outputs logits), so the
  /// exported model outputs what `nnc predict` prints.
  public enum OutputActivation: String, Sendable {
    case softmax
    case sigmoid
  }

  /// The opsets nnc writes: 13 is the first whose `Softmax` normalizes one axis (nnc's softmax over
  /// channels of an image), 21 the newest this `onnx.proto` was checked against.
  public static let supportedOpsets = 13...21
  public static let defaultOpset = 17

  public var opset: Int
  public var batch: Batch
  /// Keep batchnorm as `BatchNormalization` nodes instead of folding it into the convolution or dense
  /// layer before it.
  public var keepBatchNorm: Bool
  public var outputActivation: OutputActivation?
  /// `metadata_props`, written in this order.
  public var metadata: [(key: String, value: String)]
  /// `producer_version` (nnc's version).
  public var producerVersion: String

  public init(
    opset: Int = ONNXExportOptions.defaultOpset, batch: Batch = .dynamic, keepBatchNorm: Bool = false,
    outputActivation: OutputActivation? = nil, metadata: [(key: String, value: String)] = [],
    producerVersion: String
  ) {
    self.opset = opset
    self.batch = batch
    self.keepBatchNorm = keepBatchNorm
    self.outputActivation = outputActivation
    self.metadata = metadata
    self.producerVersion = producerVersion
  }

  /// The oldest IR version that carries `opset` (ONNX's versioning table), so older runtimes load the file.
  var irVersion: Int64 {
    switch opset {
    case ...14: return 7
    case 15...18: return 8
    case 19...20: return 9
    default: return 10
    }
  }
}
