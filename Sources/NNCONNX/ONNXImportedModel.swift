import NNCSpec

/// The result of `ONNXImporter.convert`: the spec, and the initializers under its parameter names.
public struct ONNXImportedModel: Sendable {
  public var spec: Spec
  /// Parameter name (`conv1.weight`) → shape and values in nnc's layout.
  public var weights: [String: (shape: [Int], values: [Float])]
  /// What the model's `metadata_props` said that the spec itself cannot hold (class names, the input
  /// and target normalization), under the keys nnc's checkpoints use.
  public var weightMetadata: [String: String]
}
