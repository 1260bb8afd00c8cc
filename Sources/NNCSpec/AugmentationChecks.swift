/// Checks of the `augment` section and of the data sources beyond what the vocabulary's types and
/// bounds express: ranges in order, `normalize` last and sized to the channels, image transforms on
/// image inputs, and which keys the folder format needs.
extension SpecValidator {
  /// Parameters that are ranges `[low, high]`, with `symmetric` true when a single number `d` stands
  /// for `[-d, d]` (or `[1-d, 1+d]` for factors) and so must not be negative.
  static let rangeParameters: [String: [(name: String, symmetric: Bool)]] = [
    "random_rotation": [("degrees", true)],
    "random_affine": [("scale", false)],
    "random_resized_crop": [("scale", false), ("ratio", false)],
    "brightness": [("delta", true)],
    "contrast": [("delta", true)],
    "saturation": [("delta", true)],
    "hue": [("delta", true)],
    "gaussian_blur": [("sigma", false)],
    "random_erasing": [("area", false), ("aspect", false)],
  ]

  static func checkAugmentations(_ calls: [Call], spec: Spec, into diagnostics: inout DiagnosticBag) {
    let input = inputDimensions(spec)
    for (position, call) in calls.enumerated() {
      guard
        let arguments = checkCall(call, Vocabulary.augmentations, kind: "augmentation", into: &diagnostics)
      else { continue }
      let what = "augmentation '\(call.name)'"
      for (name, symmetric) in rangeParameters[call.name] ?? [] {
        guard let expr = arguments.expr(name) else { continue }
        checkRange(expr, name: name, symmetric: symmetric, what: what, into: &diagnostics)
      }
      if call.name == "random_affine", let translate = arguments.expr("translate"),
        case .list(let items) = translate.kind, items.count != 2
      {
        diagnostics.error(
          "'translate' of \(what) must be one fraction or a pair [x, y], found \(translate.displayText)",
          at: translate.location)
      }
      if let input, input.count != 3, Vocabulary.geometricAugmentations.contains(call.name) {
        diagnostics.error(
          "\(what) needs image samples [channels, height, width], but the model input is "
            + "[\(input.map(String.init).joined(separator: ", "))]", at: call.location)
      }
      if let input, input.count == 3, input[0] != 3, call.name == "saturation" || call.name == "hue" {
        diagnostics.warning(
          "\(what) changes only colour images; it has no effect on \(input[0])-channel samples",
          at: call.location)
      }
      let channels = input?.first
      for name in ["mean", "std", "fill"] where call.name == "normalize" || call.name == "random_erasing" {
        guard let expr = arguments.expr(name), case .list(let items) = expr.kind else { continue }
        if let channels, items.count != 1, items.count != channels {
          let fix = channels == 1 ? "give 1 value" : "give 1 value or \(channels)"
          diagnostics.error(
            "'\(name)' of \(what) has \(items.count) values but the samples have \(channels) "
              + "channel\(channels == 1 ? "" : "s") (\(fix))", at: expr.location)
        }
      }
      if call.name == "normalize", position != calls.count - 1 {
        let last = calls[calls.count - 1]
        diagnostics.error(
          "'normalize' must be the last augmentation: the other transforms expect values in [0, 1]",
          at: call.location,
          notes: [.note("'\(last.name)' comes after it here; move 'normalize' below it", at: last.location)])
      }
    }
    if calls.contains(where: { $0.name != "normalize" }), case .map(let entries) = spec.data?.kind,
      let entry = entries.first(where: { $0.key == "mean" || $0.key == "std" })
    {
      diagnostics.warning(
        "augmentations expect values in [0, 1], but data.\(entry.key) normalizes before them; "
          + "end the augment section with 'normalize' instead", at: entry.keyLocation)
    }
  }

  /// A range must be one number (when symmetric) or a pair in increasing order.
  static func checkRange(
    _ expr: Expr, name: String, symmetric: Bool, what: String, into diagnostics: inout DiagnosticBag
  ) {
    switch expr.kind {
    case .list(let items):
      guard items.count == 2, let low = items[0].numberValue, let high = items[1].numberValue else {
        diagnostics.error(
          "'\(name)' of \(what) must be a range [low, high], found \(expr.displayText)", at: expr.location)
        return
      }
      if low > high {
        diagnostics.error(
          "'\(name)' of \(what) is the range [\(ArgumentChecker.formatted(low)), "
            + "\(ArgumentChecker.formatted(high))], whose low end is above its high end; "
            + "write [\(ArgumentChecker.formatted(high)), \(ArgumentChecker.formatted(low))]",
          at: expr.location)
      }
    default:
      if let value = expr.numberValue, symmetric, value < 0 {
        diagnostics.error(
          "'\(name)' of \(what) is a single number d meaning the range [-d, d] (or [1-d, 1+d] for a factor), "
            + "so it must not be negative; found \(ArgumentChecker.formatted(value)) "
            + "(write [low, high] for an asymmetric range)", at: expr.location)
      }
    }
  }

  /// The model's input dimensions when they are plain positive integers.
  static func inputDimensions(_ spec: Spec) -> [Int]? {
    guard let input = spec.model?.input, case .list(let items) = input.kind else { return nil }
    var dimensions: [Int] = []
    for item in items {
      guard case .int(let value) = item.kind, value > 0 else { return nil }
      dimensions.append(value)
    }
    return dimensions
  }

  /// `train` is required except for a folder given by `path`; the folder keys need the folder format.
  /// Images are read as grey or RGB samples of the model's input size, so the folder format needs an
  /// input [1 or 3, height, width].
  static func checkDataSources(
    _ data: Expr, _ fields: [String: Expr], input: [Int]?, into diagnostics: inout DiagnosticBag
  ) {
    guard case .map(let entries) = data.kind else { return }
    var format: String?
    if case .string(let value) = fields["format"]?.kind { format = value }
    if format == "folder", let input, input.count != 3 || (input[0] != 1 && input[0] != 3),
      let entry = entries.first(where: { $0.key == "format" })
    {
      diagnostics.error(
        "the folder format reads images as [1, H, W] (grey) or [3, H, W] (RGB) samples, but the model input is "
          + "[\(input.map(String.init).joined(separator: ", "))]", at: entry.value.location)
    }
    let hasTrain = entries.contains { $0.key == "train" }
    let path = entries.first { $0.key == "path" }
    if !hasTrain, path == nil {
      diagnostics.error(
        format == "folder"
          ? "data needs 'path' (a folder of class sub-folders) or a 'train' split"
          : "data needs a value for 'train'", at: data.location)
    }
    if let path, hasTrain {
      diagnostics.error("data has both 'path' and a 'train' split; give one of them", at: path.keyLocation)
    }
    if let layout = entries.first(where: { $0.key == "layout" }), format != "npy" {
      diagnostics.error(
        "'layout' in data applies to the npy format only, not '\(format ?? "")'", at: layout.keyLocation)
    }
    guard let format, format != "folder" else {
      if let split = entries.first(where: { $0.key == "split" }),
        let other = entries.first(where: { $0.key == "validation_split" })
      {
        diagnostics.error(
          "data has both 'split' and 'validation_split'; give one of them", at: split.keyLocation,
          notes: [.note("'validation_split' is given here", at: other.keyLocation)])
      }
      return
    }
    for entry in entries where ["path", "split", "skip_corrupt", "cache", "fast_jpeg"].contains(entry.key) {
      diagnostics.error(
        "'\(entry.key)' in data applies to the folder format only, not '\(format)'", at: entry.keyLocation)
    }
  }
}
