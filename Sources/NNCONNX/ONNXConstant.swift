import Foundation

/// An initializer or `Constant` value: float weights, or the int64 shapes and pads of helper inputs.
struct ONNXConstant {
  var dims: [Int]
  var floats: [Float] = []
  var int64s: [Int64] = []

  var count: Int { dims.reduce(1, *) }

  init(_ tensor: Onnx_TensorProto) throws {
    guard tensor.dataLocation != .external else {
      throw ONNXImportError("tensor '\(tensor.name)' is stored in an external file; nnc reads one .onnx file")
    }
    guard tensor.dims.allSatisfy({ $0 >= 0 && $0 <= 1 << 31 }) else {
      throw ONNXImportError("tensor '\(tensor.name)' has an invalid shape \(tensor.dims)")
    }
    dims = tensor.dims.map { Int($0) }
    guard let elements = CheckedProduct.of(dims) else {
      throw ONNXImportError("tensor '\(tensor.name)' is too large: \(dims)")
    }
    let raw = [UInt8](tensor.rawData)
    switch Onnx_TensorProto.DataType(rawValue: Int(tensor.dataType)) {
    case .float:
      if !raw.isEmpty {
        guard raw.count == elements * 4 else { throw Self.sizeError(tensor, raw.count, elements * 4) }
        floats = (0..<elements).map { index in
          var bits: UInt32 = 0
          for byte in 0..<4 { bits |= UInt32(raw[index * 4 + byte]) << (8 * UInt32(byte)) }
          return Float(bitPattern: bits)
        }
      } else {
        guard tensor.floatData.count == elements else {
          throw Self.sizeError(tensor, tensor.floatData.count, elements)
        }
        floats = tensor.floatData
      }
    case .int64:
      if !raw.isEmpty {
        guard raw.count == elements * 8 else { throw Self.sizeError(tensor, raw.count, elements * 8) }
        int64s = (0..<elements).map { index in
          var bits: UInt64 = 0
          for byte in 0..<8 { bits |= UInt64(raw[index * 8 + byte]) << (8 * UInt64(byte)) }
          return Int64(bitPattern: bits)
        }
      } else {
        guard tensor.int64Data.count == elements else {
          throw Self.sizeError(tensor, tensor.int64Data.count, elements)
        }
        int64s = tensor.int64Data
      }
    default:
      throw ONNXImportError(
        "tensor '\(tensor.name)' has data type \(tensor.dataType); nnc imports float32 weights and int64 shapes"
      )
    }
  }

  private static func sizeError(_ tensor: Onnx_TensorProto, _ found: Int, _ expected: Int) -> ONNXImportError
  {
    ONNXImportError(
      "tensor '\(tensor.name)' of shape \(tensor.dims) holds \(found) values (or bytes), not \(expected)")
  }
}

/// The product of sizes, nil on overflow or beyond what nnc holds in memory.
enum CheckedProduct {
  static func of(_ sizes: [Int]) -> Int? {
    var product = 1
    for size in sizes {
      let (result, overflow) = product.multipliedReportingOverflow(by: size)
      guard !overflow, result <= 1 << 31 else { return nil }
      product = result
    }
    return product
  }
}
