import Foundation

/// Collects the nodes, initializers and shapes of an ONNX graph, keeping tensor names unique.
struct ONNXGraphBuilder {
  var nodes: [Onnx_NodeProto] = []
  var initializers: [Onnx_TensorProto] = []
  var valueInfo: [Onnx_ValueInfoProto] = []
  private var tensorNames: Set<String>
  private var nodeNames: Set<String> = []

  init(reserving names: [String]) { tensorNames = Set(names) }

  /// `base`, or `base_2`, `base_3`, ... when a tensor already has that name.
  mutating func tensorName(_ base: String) -> String {
    unique(base, in: &tensorNames)
  }

  /// Appends a node. Its name is the nnc layer's (helper nodes of a composition add `:role`).
  mutating func node(
    _ opType: String, name: String, inputs: [String], outputs: [String],
    attributes: [Onnx_AttributeProto] = []
  ) {
    var node = Onnx_NodeProto()
    node.opType = opType
    node.name = unique(name, in: &nodeNames)
    node.input = inputs
    node.output = outputs
    node.attribute = attributes
    nodes.append(node)
  }

  /// A Float32 initializer; returns its (unique) name.
  @discardableResult
  mutating func initializer(_ name: String, floats: [Float], dims: [Int]) -> String {
    var tensor = Onnx_TensorProto()
    tensor.name = tensorName(name)
    tensor.dataType = Int32(Onnx_TensorProto.DataType.float.rawValue)
    tensor.dims = dims.map(Int64.init)
    // Raw little-endian bytes: the compact form every runtime reads.
    tensor.rawData = floats.withUnsafeBufferPointer { buffer in
      var data = Data(capacity: buffer.count * 4)
      for value in buffer {
        withUnsafeBytes(of: value.bitPattern.littleEndian) { data.append(contentsOf: $0) }
      }
      return data
    }
    initializers.append(tensor)
    return tensor.name
  }

  /// An Int64 initializer (pads, shapes); returns its (unique) name.
  @discardableResult
  mutating func initializer(_ name: String, int64s: [Int64], dims: [Int]) -> String {
    var tensor = Onnx_TensorProto()
    tensor.name = tensorName(name)
    tensor.dataType = Int32(Onnx_TensorProto.DataType.int64.rawValue)
    tensor.dims = dims.map(Int64.init)
    tensor.int64Data = int64s
    initializers.append(tensor)
    return tensor.name
  }

  /// A scalar Float32 constant, for the element-wise steps of a composition.
  mutating func scalar(_ name: String, _ value: Float) -> String {
    initializer(name, floats: [value], dims: [])
  }

  private func unique(_ base: String, in names: inout Set<String>) -> String {
    var name = base
    var suffix = 2
    while names.contains(name) {
      name = "\(base)_\(suffix)"
      suffix += 1
    }
    names.insert(name)
    return name
  }
}

/// Node attributes.
enum Attribute {
  static func int(_ name: String, _ value: Int) -> Onnx_AttributeProto {
    var attribute = Onnx_AttributeProto()
    attribute.name = name
    attribute.type = .int
    attribute.i = Int64(value)
    return attribute
  }

  static func ints(_ name: String, _ values: [Int]) -> Onnx_AttributeProto {
    var attribute = Onnx_AttributeProto()
    attribute.name = name
    attribute.type = .ints
    attribute.ints = values.map(Int64.init)
    return attribute
  }

  static func float(_ name: String, _ value: Double) -> Onnx_AttributeProto {
    var attribute = Onnx_AttributeProto()
    attribute.name = name
    attribute.type = .float
    attribute.f = Float(value)
    return attribute
  }

  static func string(_ name: String, _ value: String) -> Onnx_AttributeProto {
    var attribute = Onnx_AttributeProto()
    attribute.name = name
    attribute.type = .string
    attribute.s = Data(value.utf8)
    return attribute
  }
}

/// A Float32 tensor type of `dims`, where nil is the named batch dimension `N`.
func tensorType(_ dims: [Int?]) -> Onnx_TypeProto {
  var shape = Onnx_TensorShapeProto()
  shape.dim = dims.map { size in
    var dimension = Onnx_TensorShapeProto.Dimension()
    if let size { dimension.dimValue = Int64(size) } else { dimension.dimParam = "N" }
    return dimension
  }
  var tensor = Onnx_TypeProto.Tensor()
  tensor.elemType = Int32(Onnx_TensorProto.DataType.float.rawValue)
  tensor.shape = shape
  var type = Onnx_TypeProto()
  type.tensorType = tensor
  return type
}

func valueInfo(_ name: String, _ dims: [Int?]) -> Onnx_ValueInfoProto {
  var info = Onnx_ValueInfoProto()
  info.name = name
  info.type = tensorType(dims)
  return info
}
