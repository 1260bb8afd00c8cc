/// Finds where protobuf bytes that swift-protobuf refuses go wrong: the first field (by its path of
/// ONNX field names) whose tag, length or text is malformed, with its byte offset. Only the
/// messages of a model's structure are descended into; others are checked as opaque bytes.
enum ONNXWireFormat {
  enum Kind {
    case message(String)
    case string
    case scalar
  }

  /// Field number → (name, kind), per message, from onnx.proto (1.23.2).
  static let schemas: [String: [Int: (String, Kind)]] = [
    "ModelProto": [
      1: ("ir_version", .scalar), 2: ("producer_name", .string), 3: ("producer_version", .string),
      4: ("domain", .string), 5: ("model_version", .scalar), 6: ("doc_string", .string),
      7: ("graph", .message("GraphProto")), 8: ("opset_import", .message("OperatorSetIdProto")),
      14: ("metadata_props", .message("StringStringEntryProto")),
    ],
    "GraphProto": [
      1: ("node", .message("NodeProto")), 2: ("name", .string), 5: ("initializer", .message("TensorProto")),
      10: ("doc_string", .string), 11: ("input", .message("ValueInfoProto")),
      12: ("output", .message("ValueInfoProto")), 13: ("value_info", .message("ValueInfoProto")),
    ],
    "NodeProto": [
      1: ("input", .string), 2: ("output", .string), 3: ("name", .string), 4: ("op_type", .string),
      5: ("attribute", .message("AttributeProto")), 6: ("doc_string", .string), 7: ("domain", .string),
    ],
    "AttributeProto": [
      1: ("name", .string), 2: ("f", .scalar), 3: ("i", .scalar), 5: ("t", .message("TensorProto")),
      6: ("g", .message("GraphProto")), 10: ("tensors", .message("TensorProto")),
      11: ("graphs", .message("GraphProto")), 20: ("type", .scalar),
    ],
    "TensorProto": [
      1: ("dims", .scalar), 2: ("data_type", .scalar), 8: ("name", .string), 9: ("raw_data", .scalar),
    ],
    "ValueInfoProto": [1: ("name", .string), 3: ("doc_string", .string)],
    "OperatorSetIdProto": [1: ("domain", .string), 2: ("version", .scalar)],
    "StringStringEntryProto": [1: ("key", .string), 2: ("value", .string)],
  ]

  /// A description of the first malformed field, or nil when the structure reads.
  static func firstProblem(in bytes: [UInt8]) -> String? {
    check(bytes, bytes.startIndex..<bytes.endIndex, message: "ModelProto", path: "", depth: 0)
  }

  private static func check(_ bytes: [UInt8], _ range: Range<Int>, message: String, path: String, depth: Int)
    -> String?
  {
    // Deeper nesting than any model's (graphs in attributes) is left to swift-protobuf's own limit.
    guard depth < 32 else { return nil }
    let schema = schemas[message] ?? [:]
    var offset = range.lowerBound
    while offset < range.upperBound {
      let fieldStart = offset
      guard let tag = varint(bytes, &offset, end: range.upperBound) else {
        return "\(message)\(path.isEmpty ? "" : " (in \(path))") at byte \(fieldStart): a field tag is cut "
          + "off or longer than 10 bytes"
      }
      let number = Int(truncatingIfNeeded: tag >> 3)
      let wireType = Int(tag & 7)
      let (name, kind) = schema[number] ?? ("#\(number)", .scalar)
      let field =
        "field '\(path.isEmpty ? "" : path + ".")\(name)' (\(number)) of \(message) at byte \(fieldStart)"
      guard number > 0 else { return "\(field): field number 0 is invalid" }
      switch wireType {
      case 0:
        guard varint(bytes, &offset, end: range.upperBound) != nil else {
          return "\(field): its varint value is cut off"
        }
      case 1, 5:
        let size = wireType == 1 ? 8 : 4
        guard range.upperBound - offset >= size else {
          return "\(field): its \(size)-byte value runs past the end at byte \(range.upperBound)"
        }
        offset += size
      case 2:
        guard let length = varint(bytes, &offset, end: range.upperBound) else {
          return "\(field): its length is cut off"
        }
        guard length <= UInt64(range.upperBound - offset) else {
          return "\(field): its length \(length) runs past the end at byte \(range.upperBound)"
        }
        let content = offset..<(offset + Int(length))
        offset = content.upperBound
        switch kind {
        case .message(let inner):
          if let problem = check(
            bytes, content, message: inner, path: path.isEmpty ? name : path + "." + name, depth: depth + 1)
          {
            return problem
          }
        case .string:
          guard String(validating: bytes[content], as: UTF8.self) != nil else {
            return "\(field): its text is not valid UTF-8"
          }
        case .scalar:
          break
        }
      default:
        return "\(field): wire type \(wireType) is not one protobuf messages of ONNX use"
      }
      if case .message = kind, wireType != 2 {
        return "\(field): wire type \(wireType) where a message (wire type 2) belongs"
      }
    }
    return nil
  }

  private static func varint(_ bytes: [UInt8], _ offset: inout Int, end: Int) -> UInt64? {
    var value: UInt64 = 0
    for shift in stride(from: 0, to: 70, by: 7) {
      guard offset < end else { return nil }
      let byte = bytes[offset]
      offset += 1
      value |= UInt64(byte & 0x7F) << UInt64(min(shift, 63))
      if byte & 0x80 == 0 { return value }
    }
    return nil
  }
}
