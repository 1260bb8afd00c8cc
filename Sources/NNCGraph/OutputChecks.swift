import NNCSpec

/// Checks that tie the model to the other sections: the number of output units against the classes
/// of the data, a final softmax or sigmoid against a loss that applies it again, and the task (stated
/// or inferred) against the loss, the head and the metrics.
enum OutputChecks {
  static func check(graph: Graph, output: Flow, spec: Spec, into diagnostics: inout DiagnosticBag) {
    let outputShape = graph.outputShape
    let loss = spec.loss
    let lossKind = loss.flatMap { LossKind(rawValue: $0.name) }
    let dataEntries: [MapEntry] = {
      guard case .map(let entries) = spec.data?.kind else { return [] }
      return entries
    }()
    let classesExpr = dataEntries.first { $0.key == "classes" }?.value
    // `classes_subset` keeps (and relabels) only the listed classes: the model outputs that many.
    let subsetExpr = dataEntries.first { $0.key == "classes_subset" }?.value
    var declaredClasses: (Int, Expr)?
    if let subsetExpr, case .list(let items) = subsetExpr.kind {
      declaredClasses = (items.count, subsetExpr)
    } else if let classesExpr, case .int(let classes) = classesExpr.kind {
      declaredClasses = (classes, classesExpr)
    }
    let isBinary = lossKind == .binaryCrossEntropy
    if let (classes, classesExpr) = declaredClasses {
      if outputShape.rank != 2 {
        diagnostics.error(
          "the model's output \(outputShape) is not [N,classes]; end it with 'flatten' or 'global_avgpool' "
            + "and 'dense(\(classes))'", at: output.origin.location,
          notes: [.note("the data has \(classes) classes", at: classesExpr.location)])
      } else if outputShape.sample[0] != classes, !(isBinary && classes == 2 && outputShape.sample[0] == 1) {
        diagnostics.error(
          "the model outputs \(outputShape.sample[0]) unit\(outputShape.sample[0] == 1 ? "" : "s") but the data "
            + "has \(classes) classes",
          at: output.origin.unitsLocation,
          notes: [.note("the number of classes is set here", at: classesExpr.location)])
      }
    } else if loss != nil, outputShape.rank != 2, !TaskKind.isRegressionLoss(lossKind ?? .crossEntropy) {
      diagnostics.error(
        "the loss '\(loss!.name)' needs a [N,classes] output, but the model outputs \(outputShape)",
        at: output.origin.location, notes: [.note("the loss is chosen here", at: loss!.location)])
    }
    if output.endsInSoftmax, let loss, lossKind == .crossEntropy {
      let fromLogits: Bool
      if let argument = loss.argument("from_logits"), case .bool(let value) = argument.value.kind {
        fromLogits = value
      } else {
        fromLogits = true
      }
      if fromLogits {
        diagnostics.warning(
          "the model ends in softmax, but 'cross_entropy' applies softmax to its input (logits) itself",
          at: output.origin.location,
          notes: [
            .note("the loss is chosen here", at: loss.location),
            .note(
              "remove the final softmax, or write cross_entropy(from_logits: false)",
              at: output.origin.location),
          ])
      }
    }
    if output.endsInSigmoid, let loss, lossKind == .binaryCrossEntropy, fromLogits(loss) {
      diagnostics.warning(
        "the model ends in sigmoid, but 'binary_cross_entropy' applies sigmoid to its input (logits) itself",
        at: output.origin.location,
        notes: [
          .note("the loss is chosen here", at: loss.location),
          .note(
            "remove the final sigmoid, or write binary_cross_entropy(from_logits: false)",
            at: output.origin.location),
        ])
    }
    checkTask(graph: graph, output: output, spec: spec, into: &diagnostics)
  }

  static func fromLogits(_ loss: Call) -> Bool {
    if let argument = loss.argument("from_logits"), case .bool(let value) = argument.value.kind {
      return value
    }
    return true
  }

  /// A stated `data.task` must agree with the loss, the head and the data's target keys; every metric
  /// (and its `average`) must fit the task; `predict.threshold` must give one value per label or one.
  static func checkTask(graph: Graph, output: Flow, spec: Spec, into diagnostics: inout DiagnosticBag) {
    let fields = SpecTaskFields(spec)
    let units = graph.outputShape.sampleCount
    let task = TaskKind.of(spec: spec, graph: graph)
    let lossNote: [Diagnostic] = spec.loss.map { [.note("the loss is chosen here", at: $0.location)] } ?? []
    if let stated = fields.statedTask {
      switch stated.task {
      case .regression where !TaskKind.isRegressionLoss(fields.loss):
        diagnostics.error(
          "a regression needs the loss 'mse', 'mae' or 'huber', but the loss is '\(fields.loss.rawValue)'",
          at: stated.location, notes: lossNote)
      case .binary where fields.loss != .binaryCrossEntropy || units != 1:
        diagnostics.error(
          "a binary task needs one output unit and the loss 'binary_cross_entropy', but the model outputs "
            + "\(units) unit\(units == 1 ? "" : "s") with the loss '\(fields.loss.rawValue)'",
          at: stated.location,
          notes: [.note("the output is set here", at: output.origin.unitsLocation)] + lossNote)
      case .multilabel where fields.loss != .binaryCrossEntropy:
        diagnostics.error(
          "a multi-label task needs the loss 'binary_cross_entropy' (one sigmoid per unit), but the loss is "
            + "'\(fields.loss.rawValue)'", at: stated.location, notes: lossNote)
      case .classification, .binary, .multilabel, .regression:
        break
      }
      if let implied = fields.targetsTask, implied.task != stated.task {
        diagnostics.error(
          "the task is stated as \(stated.task.rawValue), but 'data.\(implied.key)' gives the targets of a "
            + "\(implied.task.title)", at: stated.location,
          notes: [.note("the targets are chosen here", at: implied.location)])
      }
    } else if let implied = fields.targetsTask {
      let fits =
        implied.task == .regression
        ? TaskKind.isRegressionLoss(fields.loss) : fields.loss == .binaryCrossEntropy
      if !fits {
        diagnostics.error(
          "'data.\(implied.key)' gives the targets of a \(implied.task.title), which needs the loss "
            + (implied.task == .regression ? "'mse', 'mae' or 'huber'" : "'binary_cross_entropy'")
            + ", but the loss is '\(fields.loss.rawValue)'", at: implied.location, notes: lossNote)
      }
    }
    checkMetrics(task: task, fields: fields, output: output, spec: spec, into: &diagnostics)
    checkThreshold(task: task, units: units, spec: spec, into: &diagnostics)
  }

  /// Every metric must be one the task reports, with an `average` the task has.
  static func checkMetrics(
    task: TaskKind, fields: SpecTaskFields, output: Flow, spec: Spec, into diagnostics: inout DiagnosticBag
  ) {
    let valid = Vocabulary.metrics.map(\.name).filter { task.admits(metric: $0) }.map { "'\($0)'" }
      .joined(separator: ", ")
    let taskNote = Diagnostic.note(
      "the task is \(taskOrigin(fields, units: output.shape.sampleCount)) here",
      at: fields.statedTask?.location ?? fields.targetsTask?.location ?? spec.loss?.location
        ?? output.origin.location)
    for metric in spec.metrics ?? [] {
      guard task.admits(metric: metric.name) else {
        let need: String
        switch task {
        case .regression: need = "needs class predictions"
        case .multilabel: need = "needs one class per sample"
        case .classification, .binary: need = "needs float targets"
        }
        diagnostics.error(
          "the metric '\(metric.name)' \(need), but the task is \(task == .regression ? "regression" : task.title); "
            + "a \(task.title) takes the metrics \(valid)",
          at: metric.location, notes: [taskNote])
        continue
      }
      if let argument = metric.argument("average"), case .string(let average) = argument.value.kind,
        !task.averages.contains(average)
      {
        diagnostics.error(
          "the average '\(average)' does not apply to a \(task.title); it takes "
            + task.averages.map { "'\($0)'" }.joined(separator: ", "), at: argument.value.location,
          notes: [taskNote])
      }
    }
  }

  /// `predict.threshold` as a list: one per label of a multi-label task (or a single value).
  static func checkThreshold(task: TaskKind, units: Int, spec: Spec, into diagnostics: inout DiagnosticBag) {
    guard case .map(let entries) = spec.predict?.kind,
      let threshold = entries.first(where: { $0.key == "threshold" })?.value,
      case .list(let items) = threshold.kind
    else { return }
    if task != .multilabel {
      guard items.count != 1 else { return }
      diagnostics.error(
        "a list of thresholds serves a multi-label task (one per label); the task is \(task.title), "
          + "give one number", at: threshold.location)
    } else if items.count != 1, items.count != units {
      diagnostics.error(
        "\(items.count) thresholds for \(units) labels; give one per label, or one number for all",
        at: threshold.location)
    }
  }

  /// How a task came about, for notes.
  static func taskOrigin(_ fields: SpecTaskFields, units: Int) -> String {
    if fields.statedTask != nil { return "stated" }
    if let implied = fields.targetsTask { return "implied by 'data.\(implied.key)'" }
    return "inferred from the loss '\(fields.loss.rawValue)' on "
      + (units == 1 ? "one output unit" : "\(units) output units")
  }
}
