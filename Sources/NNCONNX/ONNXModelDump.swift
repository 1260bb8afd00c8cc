import Foundation

/// A readable, stable text form of an ONNX model's structure: the graph's inputs, outputs,
/// initializers (names and shapes, not values), nodes with their attributes, and metadata. The golden
/// tests compare exported models in this form.
public enum ONNXModelDump {
  public static func text(_ model: Onnx_ModelProto) -> String {
    var lines: [String] = []
    let opsets = model.opsetImport.map { ($0.domain.isEmpty ? "" : $0.domain + ":") + String($0.version) }
    lines.append(
      "model: ir_version \(model.irVersion), opset \(opsets.joined(separator: ",")), producer "
        + "\(model.producerName) \(model.producerVersion)")
    for property in model.metadataProps { lines.append("metadata: \(property.key) = \(property.value)") }
    let graph = model.graph
    lines.append("graph: \(graph.name)")
    for input in graph.input { lines.append("input: \(input.name) \(type(input.type))") }
    for output in graph.output { lines.append("output: \(output.name) \(type(output.type))") }
    for tensor in graph.initializer {
      lines.append("initializer: \(tensor.name) \(elementType(tensor.dataType))\(dims(tensor.dims))")
    }
    for node in graph.node {
      let attributes = node.attribute.map { "\($0.name)=\(value($0))" }.joined(separator: ", ")
      lines.append(
        "node \(node.name): \(node.opType)(\(node.input.joined(separator: ", "))) -> "
          + node.output.joined(separator: ", ") + (attributes.isEmpty ? "" : " {\(attributes)}"))
    }
    for info in graph.valueInfo { lines.append("value: \(info.name) \(type(info.type))") }
    return lines.joined(separator: "\n") + "\n"
  }

  public static func type(_ type: Onnx_TypeProto) -> String {
    let tensor = type.tensorType
    let shape = tensor.shape.dim.map { dimension -> String in
      switch dimension.value {
      case .dimValue(let size): return String(size)
      case .dimParam(let name): return name
      case nil: return "?"
      }
    }
    return elementType(tensor.elemType) + "[" + shape.joined(separator: ",") + "]"
  }

  static func elementType(_ code: Int32) -> String {
    switch Onnx_TensorProto.DataType(rawValue: Int(code)) {
    case .some(.float): return "float"
    case .some(.int64): return "int64"
    default: return "type\(code)"
    }
  }

  static func dims(_ dims: [Int64]) -> String { "[" + dims.map(String.init).joined(separator: ",") + "]" }

  static func value(_ attribute: Onnx_AttributeProto) -> String {
    switch attribute.type {
    case .int: return String(attribute.i)
    case .ints: return dims(attribute.ints)
    case .float: return String(format: "%.9g", attribute.f)
    case .string: return "\"" + String(decoding: attribute.s, as: UTF8.self) + "\""
    default: return "<\(attribute.type)>"
    }
  }
}
