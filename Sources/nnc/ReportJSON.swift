import Foundation

/// The JSON text of every report and event nnc prints. Keys are sorted, so the output is stable and diffable;
/// slashes are not escaped, so paths read as written.
func reportJSON<T: Encodable>(_ value: T) throws -> String {
  try encodedJSON(value, formatting: [.prettyPrinted])
}

/// One line of JSON, for line-oriented outputs (`history.jsonl`, progress events, predictions, error reports).
func jsonLine<T: Encodable>(_ value: T) throws -> String {
  try encodedJSON(value, formatting: [])
}

private func encodedJSON<T: Encodable>(_ value: T, formatting: JSONEncoder.OutputFormatting) throws -> String
{
  let encoder = JSONEncoder()
  encoder.outputFormatting = formatting.union([.sortedKeys, .withoutEscapingSlashes])
  return String(decoding: try encoder.encode(value), as: UTF8.self)
}
