import NNCSpec

/// The result of `ONNXImporter.convert`: the spec, and the initializers under its parameter names.
public struct ONNXImportedModel: Sendable {
  public var spec: Spec
  /// Parameter name (`conv1.weight`) → shape and values in nnc's layout.
  public var weights: [String: (shape: [Int], values: [Float])]
  /// What the model's `metadata_props` said that the spec itself cannot hold (class names, the input
  /// and target normalization), under the keys nnc's checkpoints use.
  public var weightMetadata: [String: String]
  /// The graph's final Softmax or Sigmoid, left to the loss (`from_logits`): the spec outputs logits.
  public var outputActivation: ONNXImportedHead?
}

/// The output activation stripped from the graph: the loss applies it (`from_logits`).
public enum ONNXImportedHead: String, Sendable {
  case softmax
  case sigmoid
}
