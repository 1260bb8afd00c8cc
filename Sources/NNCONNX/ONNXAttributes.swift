/// A node's attributes by name, with ONNX's defaults, each read checked against its declared type.
struct ONNXAttributes {
  let node: Onnx_NodeProto

  init(_ node: Onnx_NodeProto) throws { self.node = node }

  private func attribute(_ name: String) -> Onnx_AttributeProto? {
    node.attribute.first { $0.name == name }
  }

  func int(_ name: String, default value: Int) throws -> Int {
    guard let attribute = attribute(name) else { return value }
    guard (-(1 << 31)...(1 << 31)).contains(attribute.i) else {
      throw ONNXImportError("attribute '\(name)' of \(node.opType) node '\(node.name)' is not a small int")
    }
    return Int(attribute.i)
  }

  func ints(_ name: String) throws -> [Int]? {
    guard let attribute = attribute(name) else { return nil }
    guard attribute.ints.allSatisfy({ (-(1 << 31)...(1 << 31)).contains($0) }) else {
      throw ONNXImportError("attribute '\(name)' of \(node.opType) node '\(node.name)' is out of range")
    }
    return attribute.ints.map { Int($0) }
  }

  func float(_ name: String, default value: Float) -> Float {
    attribute(name)?.f ?? value
  }

  func string(_ name: String, default value: String) -> String {
    guard let attribute = attribute(name) else { return value }
    return String(decoding: attribute.s, as: UTF8.self)
  }
}
