/// Checks of the crops that make samples smaller: `random_crop: {size}` in the augment section and
/// `data.center_crop` must both give the model input's height and width, and a training crop needs
/// the centre crop so that validation, test and predicted samples get the same size (when the spec
/// has data).
extension SpecValidator {
  static func checkCrops(_ spec: Spec, into diagnostics: inout DiagnosticBag) {
    let input = inputDimensions(spec)
    var dataEntries: [MapEntry] = []
    if case .map(let entries) = spec.data?.kind { dataEntries = entries }
    let centerCrop = dataEntries.first { $0.key == "center_crop" }
    let randomCrop = spec.augment?.last(where: { $0.name == "random_crop" && $0.argument("size") != nil })
    if let centerCrop, let size = centerCrop.value.intPair {
      checkCropSize(size, at: centerCrop.value, what: "data.center_crop", input: input, into: &diagnostics)
      if case .string("folder") = dataEntries.first(where: { $0.key == "format" })?.value.kind {
        diagnostics.error(
          "data.center_crop needs samples of a fixed size, but the folder format resizes every image to the "
            + "model input; crop with the idx or npy format", at: centerCrop.keyLocation)
      }
    }
    guard let randomCrop, let sizeExpr = randomCrop.argument("size")?.value, let size = sizeExpr.intPair
    else {
      return
    }
    checkCropSize(size, at: sizeExpr, what: "'size' of random_crop", input: input, into: &diagnostics)
    // Without a data section (a model-zoo spec) there are no evaluation splits to crop.
    if centerCrop == nil, spec.data != nil {
      diagnostics.error(
        "random_crop crops training samples to \(size.0)x\(size.1), but validation, test and predicted "
          + "samples would keep their size", at: sizeExpr.location,
        notes: [
          .note("add 'center_crop: [\(size.0), \(size.1)]' to the data section to crop them at the centre")
        ])
    }
  }

  /// A crop's height and width must be the model input's (the last two of [channels, height, width]).
  static func checkCropSize(
    _ size: (Int, Int), at expr: Expr, what: String, input: [Int]?, into diagnostics: inout DiagnosticBag
  ) {
    guard let input else { return }
    guard input.count == 3 else {
      diagnostics.error(
        "\(what) crops images, but the model input [\(input.map(String.init).joined(separator: ", "))] is not "
          + "[channels, height, width]", at: expr.location)
      return
    }
    guard size != (input[1], input[2]) else { return }
    diagnostics.error(
      "\(what) crops samples to \(size.0)x\(size.1), but the model input [\(input[0]), \(input[1]), \(input[2])] "
        + "is \(input[1])x\(input[2])", at: expr.location,
      notes: [
        .note(
          "crop to [\(input[1]), \(input[2])], or change model.input to [\(input[0]), \(size.0), \(size.1)]")
      ])
  }
}
