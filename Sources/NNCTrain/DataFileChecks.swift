import Foundation
import NNCData
import NNCSpec

/// `nnc check`'s look at the data a spec names: every file or folder must exist (located at its key,
/// with "did you mean" among the names beside it), and the samples of an IDX or NPY file must have
/// as many values as the model's input.
public enum DataFileChecks {
  public static func check(_ spec: Spec, into diagnostics: inout DiagnosticBag) {
    guard case .map(let entries) = spec.data?.kind else { return }
    var format = "idx"
    var channelsLast = false
    for entry in entries {
      if entry.key == "format", case .string(let value) = entry.value.kind { format = value }
      if entry.key == "layout", case .string(let value) = entry.value.kind { channelsLast = value == "nhwc" }
    }
    let directory = (spec.file as NSString).deletingLastPathComponent
    let input = inputDimensions(spec)
    // Cropped samples may be stored larger than the model input.
    let crop = entries.first(where: { $0.key == "center_crop" })?.value.intPair
    for entry in entries {
      if entry.key == "path" { checkExists(entry.value, directory: directory, into: &diagnostics) }
      guard ["train", "test", "val"].contains(entry.key), case .map(let fields) = entry.value.kind else {
        continue
      }
      for field in fields where ["images", "labels", "path"].contains(field.key) {
        guard let path = checkExists(field.value, directory: directory, into: &diagnostics) else { continue }
        guard field.key == "images", format == "idx" || format == "npy", let input else { continue }
        checkSampleShape(
          path, expr: field.value, format: format, channelsLast: channelsLast, input: input, crop: crop,
          into: &diagnostics)
      }
    }
  }

  /// The resolved path when it exists; otherwise an error at `expr`, and nil.
  @discardableResult
  static func checkExists(_ expr: Expr, directory: String, into diagnostics: inout DiagnosticBag) -> String? {
    guard case .string(let written) = expr.kind, !written.isEmpty else { return nil }
    let resolved =
      written.hasPrefix("/")
      ? written : ((directory as NSString).appendingPathComponent(written) as NSString).standardizingPath
    if FileManager.default.fileExists(atPath: resolved) { return resolved }
    let parent = (resolved as NSString).deletingLastPathComponent
    var isDirectory: ObjCBool = false
    guard FileManager.default.fileExists(atPath: parent, isDirectory: &isDirectory), isDirectory.boolValue
    else {
      let writtenParent = (written as NSString).deletingLastPathComponent
      diagnostics.error(
        "'\(written)' does not exist: its folder '\(writtenParent.isEmpty ? "." : writtenParent)' is missing "
          + "(paths are relative to the spec's folder)", at: expr.location)
      return nil
    }
    let names = (try? FileManager.default.contentsOfDirectory(atPath: parent)) ?? []
    var suggestion = ""
    if let match = Suggestions.closest(to: (resolved as NSString).lastPathComponent, in: names) {
      let writtenParent = (written as NSString).deletingLastPathComponent
      suggestion = "; did you mean '\((writtenParent as NSString).appendingPathComponent(match))'?"
    }
    diagnostics.error("'\(written)' does not exist\(suggestion)", at: expr.location)
    return nil
  }

  /// The samples (every dimension after the first) must have as many values as the model's input;
  /// with `layout: nhwc` they are [height, width, channels] and are compared transposed.
  static func checkSampleShape(
    _ path: String, expr: Expr, format: String, channelsLast: Bool, input: [Int], crop: (Int, Int)? = nil,
    into diagnostics: inout DiagnosticBag
  ) {
    let dimensions: [Int]
    do {
      dimensions = try DataFileHeader.shape(of: path, format: format)
    } catch {
      diagnostics.error("cannot read the header of '\(path)': \(error)", at: expr.location)
      return
    }
    var sample = Array(dimensions.dropFirst())
    if channelsLast, sample.count == 3 { sample = [sample[2], sample[0], sample[1]] }
    func shapeText(_ shape: [Int]) -> String { "[" + shape.map(String.init).joined(separator: ", ") + "]" }
    if let crop, input.count == 3 {
      // IDX images [H, W] are read as one channel.
      if sample.count == 2 { sample.insert(1, at: 0) }
      guard sample.count != 3 || sample[0] != input[0] || sample[1] < crop.0 || sample[2] < crop.1 else {
        return
      }
      diagnostics.error(
        "the samples in this file have shape \(shapeText(sample)), which data.center_crop [\(crop.0), \(crop.1)] "
          + "cannot crop to the model input \(shapeText(input))", at: expr.location)
      return
    }
    let values = sample.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
    let expected = input.reduce(1) { $0.multipliedReportingOverflow(by: $1).partialValue }
    guard values != expected else { return }
    diagnostics.error(
      "the samples in this file have shape \(shapeText(sample)) (\(values) values), but the model input "
        + "\(shapeText(input)) takes \(expected)", at: expr.location)
  }

  /// The model's input dimensions when they are plain positive integers.
  static func inputDimensions(_ spec: Spec) -> [Int]? {
    guard let input = spec.model?.input, case .list(let items) = input.kind else { return nil }
    var dimensions: [Int] = []
    for item in items {
      guard case .int(let value) = item.kind, value > 0, value <= Limits.size else { return nil }
      dimensions.append(value)
    }
    return dimensions
  }
}
