import Foundation
import SwiftProtobuf

/// Reading and writing `.onnx` files.
public enum ONNXModelFile {
  /// Writes the model to a temporary file beside `path` and renames it into place, so an interrupted
  /// export never leaves a truncated model.
  /// The model's bytes, for a caller that writes them its own way (atomically).
  public static func serialized(_ model: Onnx_ModelProto) throws -> [UInt8] {
    try model.serializedBytes()
  }

  public static func write(_ model: Onnx_ModelProto, to path: String) throws {
    let data: Data = try model.serializedBytes()
    try data.write(to: URL(fileURLWithPath: path), options: .atomic)
  }

  public static func read(_ path: String) throws -> Onnx_ModelProto {
    try Onnx_ModelProto(serializedBytes: Data(contentsOf: URL(fileURLWithPath: path)))
  }
}
