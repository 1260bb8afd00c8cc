/// Why an ONNX model cannot be imported: a malformed file, or a graph the spec language cannot express.
public struct ONNXImportError: Error, Sendable, CustomStringConvertible {
  public var message: String

  public init(_ message: String) { self.message = message }

  /// An op nnc cannot express, with the node at fault and what to use instead.
  static func unsupported(_ node: Onnx_NodeProto, _ reason: String, alternative: String) -> ONNXImportError {
    ONNXImportError(
      "\(node.opType) node '\(node.name)' cannot be imported: \(reason); nearest supported: \(alternative)")
  }

  public var description: String { message }
}
