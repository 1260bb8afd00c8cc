/// Refuses NaN and infinite values decoded from a binary file (IDX, NPY) as the CSV reader refuses
/// them in text: they would poison every weight they reach. A float64 beyond the float32 range
/// decodes to infinity and is refused too. `dataStart` is where the elements begin in the file, so
/// the message gives the byte offset; `firstElement` is the index of `values[0]` in the file (a chunk
/// of a file checked piece by piece).
func checkFinite(
  _ values: [Float], elementType: ElementType, dataStart: Int, path: String, firstElement: Int = 0
) throws {
  switch elementType {
  case .float16, .float32, .float64: break
  case .uint8, .int8, .uint16, .int16, .uint32, .int32, .uint64, .int64, .bool: return
  }
  guard let index = values.firstIndex(where: { !$0.isFinite }) else { return }
  let what =
    values[index].isNaN
    ? "NaN" : elementType == .float64 ? "infinite or beyond the float32 range" : "infinite"
  throw DataError(
    path,
    "element \(firstElement + index) at byte \(dataStart + index * elementType.byteCount) is \(what); "
      + "values must be finite numbers")
}

extension ElementType {
  /// The element count and byte size of an array of `shape`, or nil when either overflows an Int
  /// (a header can declare sizes whose product fits but whose byte size does not).
  func byteSize(of shape: [Int]) -> (elements: Int, bytes: Int)? {
    var elements = 1
    for size in shape {
      guard size >= 0 else { return nil }
      let (product, overflow) = elements.multipliedReportingOverflow(by: size)
      guard !overflow else { return nil }
      elements = product
    }
    let (bytes, overflow) = elements.multipliedReportingOverflow(by: byteCount)
    return overflow ? nil : (elements, bytes)
  }
}
