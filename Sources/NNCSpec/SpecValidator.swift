/// Checks the sections that are not the model: `data`, `augment`, `loss`, `optimizer`, `metrics`,
/// `train`, and the names used in layer lists (so a typo in an unused block is still reported).
public enum SpecValidator {
  public static func validate(_ spec: Spec, into diagnostics: inout DiagnosticBag) {
    if spec.model == nil {
      diagnostics.error(
        "the spec has no 'model' section", at: SourceLocation(file: spec.file, line: 1, column: 1))
    }
    if let model = spec.model {
      checkInput(model, into: &diagnostics)
      checkNames(model.layers, spec: spec, blockParameters: [], into: &diagnostics)
    }
    var blockNames: [String: SourceLocation] = [:]
    for block in spec.blocks {
      if let first = blockNames[block.name] {
        diagnostics.error(
          "block '\(block.name)' is declared twice", at: block.location,
          notes: [.note("first declared here", at: first)])
      }
      blockNames[block.name] = block.location
      if Vocabulary.layers[block.name] != nil || Vocabulary.structuralKeywords.contains(block.name) {
        diagnostics.error(
          "block name '\(block.name)' is already a layer of the vocabulary", at: block.location)
      }
      var parameterNames: Set<String> = []
      for parameter in block.parameters {
        if !parameterNames.insert(parameter.name).inserted {
          diagnostics.error(
            "parameter '\(parameter.name)' of block '\(block.name)' is declared twice", at: parameter.location
          )
        }
      }
      checkNames(block.layers, spec: spec, blockParameters: block.parameters.map(\.name), into: &diagnostics)
    }
    if let data = spec.data {
      let fields = ArgumentChecker.check(
        map: data, against: Vocabulary.dataSchema, what: "data", into: &diagnostics)
      checkDataSources(data, fields, input: inputDimensions(spec), into: &diagnostics)
    }
    if let train = spec.train {
      ArgumentChecker.check(map: train, against: Vocabulary.trainSchema, what: "train", into: &diagnostics)
      checkTransfer(train, into: &diagnostics)
      checkSchedule(train, into: &diagnostics)
      checkMonitors(train, metrics: spec.metrics, into: &diagnostics)
      checkTensorBoard(train, into: &diagnostics)
    }
    if let predict = spec.predict {
      ArgumentChecker.check(
        map: predict, against: Vocabulary.predictSchema, what: "predict", into: &diagnostics)
    }
    if let loss = spec.loss { checkCall(loss, Vocabulary.losses, kind: "loss", into: &diagnostics) }
    if let optimizer = spec.optimizer {
      checkCall(optimizer, Vocabulary.optimizers, kind: "optimizer", into: &diagnostics)
    }
    var positiveClass: (value: Int, location: SourceLocation)?
    for metric in spec.metrics ?? [] {
      let arguments = checkCall(metric, Vocabulary.metrics, kind: "metric", into: &diagnostics)
      // One positive class serves every 'binary' average, so two metrics must not disagree.
      guard let value = arguments?.int("positive_class"),
        let argument = metric.arguments.first(where: { $0.label == "positive_class" })
      else { continue }
      if let first = positiveClass, first.value != value {
        diagnostics.error(
          "positive_class \(value) differs from the \(first.value) of an earlier metric; one positive class "
            + "serves every metric", at: argument.value.location,
          notes: [.note("positive_class \(first.value) is set here", at: first.location)])
      } else if positiveClass == nil {
        positiveClass = (value, argument.value.location)
      }
    }
    if let augment = spec.augment {
      checkAugmentations(augment, spec: spec, into: &diagnostics)
    }
    checkCrops(spec, into: &diagnostics)
    checkLearningRates(spec, into: &diagnostics)
  }

  /// `monitor` names (of `train`, `train.early_stopping` and a plateau schedule) must be values the
  /// spec's metrics produce each epoch.
  static func checkMonitors(_ train: Expr, metrics: [Call]?, into diagnostics: inout DiagnosticBag) {
    func entries(_ expr: Expr?) -> [MapEntry] {
      if case .map(let entries) = expr?.kind { return entries }
      return []
    }
    let fields = entries(train)
    var monitors = fields.filter { $0.key == "monitor" }.map(\.value)
    for entry in fields where entry.key == "early_stopping" {
      monitors += entries(entry.value).filter { $0.key == "monitor" }.map(\.value)
    }
    for entry in fields where entry.key == "schedule" {
      for schedule in entries(entry.value) {
        monitors += entries(schedule.value).filter { $0.key == "monitor" }.map(\.value)
      }
    }
    let names = MetricNames.monitorable(metrics)
    for monitor in monitors {
      guard case .string(let name) = monitor.kind, !names.contains(name) else { continue }
      let suggestion = Suggestions.closest(to: name, in: names).map { "did you mean '\($0)'? " } ?? ""
      diagnostics.error(
        "no metric of the spec produces '\(name)'; \(suggestion)the metrics section yields "
          + names.filter { $0.hasPrefix("val_") }.joined(separator: ", ")
          + " (and the same with 'train_' or without a prefix)",
        at: monitor.location)
    }
  }

  /// `train.tensorboard` names the directory event files go to; a blank path names none.
  static func checkTensorBoard(_ train: Expr, into diagnostics: inout DiagnosticBag) {
    guard case .map(let entries) = train.kind else { return }
    for entry in entries where entry.key == "tensorboard" {
      guard case .string(let path) = entry.value.kind, path.allSatisfy(\.isWhitespace) else { continue }
      diagnostics.error(
        "'tensorboard' in train must name a directory for the event files, found an empty path",
        at: entry.value.location)
    }
  }

  @discardableResult
  static func checkCall(
    _ call: Call, _ signatures: [Signature], kind: String, into diagnostics: inout DiagnosticBag
  ) -> CheckedArguments? {
    guard let signature = signatures.first(where: { $0.name == call.name }) else {
      let names = signatures.map(\.name)
      let hint =
        Suggestions.closest(to: call.name, in: names).map { "; did you mean '\($0)'?" }
        ?? "; expected one of " + names.joined(separator: ", ")
      diagnostics.error("unknown \(kind) '\(call.name)'\(hint)", at: call.location)
      return nil
    }
    return ArgumentChecker.check(call, against: signature, what: "\(kind) '\(call.name)'", into: &diagnostics)
  }

  static func checkInput(_ model: ModelDecl, into diagnostics: inout DiagnosticBag) {
    guard let input = model.input else {
      diagnostics.error(
        "the model needs an 'input' shape, like [1, 28, 28] (channels, height, width) or [64]",
        at: model.location)
      return
    }
    guard case .list(let items) = input.kind, items.count == 1 || items.count == 3 else {
      diagnostics.error(
        "'input' must be a list [channels, height, width] or [features], found \(input.displayText)",
        at: input.location)
      return
    }
    var dimensions: [Int] = []
    for item in items {
      guard case .int(let value) = item.kind, value >= 1 else {
        diagnostics.error(
          "input dimensions must be positive integers, found \(item.displayText)", at: item.location)
        return
      }
      guard value <= Limits.size else {
        diagnostics.error(
          "input dimensions must be at most \(Limits.size), found \(value)", at: item.location)
        return
      }
      dimensions.append(value)
    }
    // Keras and TensorFlow write images channels last: [28, 28, 1] is almost surely [1, 28, 28].
    if dimensions.count == 3, [1, 3, 4].contains(dimensions[2]), dimensions[0] > 4, dimensions[1] > 4 {
      let guess = [dimensions[2], dimensions[0], dimensions[1]].map(String.init).joined(separator: ", ")
      diagnostics.warning(
        "nnc inputs are [channels, height, width]; did you mean [\(guess)]?", at: input.location,
        notes: [.note("this input has \(dimensions[0]) channels of \(dimensions[1])x\(dimensions[2]) pixels")]
      )
    }
  }

  /// Every call in a layer list must name a layer or a block.
  static func checkNames(
    _ layers: [Layer], spec: Spec, blockParameters: [String], into diagnostics: inout DiagnosticBag
  ) {
    let known = Array(Vocabulary.layers.keys) + spec.blocks.map(\.name)
    for layer in layers {
      switch layer.kind {
      case .call(let call):
        if Vocabulary.layers[call.name] == nil, spec.block(named: call.name) == nil {
          let hint =
            Suggestions.closest(to: call.name, in: known).map { "; did you mean '\($0)'?" } ?? ""
          diagnostics.error("unknown layer '\(call.name)'\(hint)", at: call.location)
        }
      case .residual(let main, let shortcut):
        checkNames(main, spec: spec, blockParameters: blockParameters, into: &diagnostics)
        checkNames(shortcut ?? [], spec: spec, blockParameters: blockParameters, into: &diagnostics)
      case .concat(let branches):
        if branches.count < 2 {
          diagnostics.error("'concat' needs at least two branches", at: layer.location)
        }
        for branch in branches {
          checkNames(branch.layers, spec: spec, blockParameters: blockParameters, into: &diagnostics)
        }
      case .repeat(_, let body):
        checkNames(body, spec: spec, blockParameters: blockParameters, into: &diagnostics)
      }
    }
  }
}
