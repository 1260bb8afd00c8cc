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
    } else if loss != nil, outputShape.rank != 2, lossKind != .mse {
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

  /// A stated `data.task` must agree with the loss and the head; every metric must fit the task.
  static func checkTask(graph: Graph, output: Flow, spec: Spec, into diagnostics: inout DiagnosticBag) {
    let fields = SpecTaskFields(spec)
    let units = graph.outputShape.sampleCount
    let task = TaskKind.of(spec: spec, graph: graph)
    if let stated = fields.statedTask {
      let lossNote: [Diagnostic] = spec.loss.map { [.note("the loss is chosen here", at: $0.location)] } ?? []
      switch stated.task {
      case .regression where fields.loss != .mse:
        diagnostics.error(
          "a regression needs the loss 'mse', but the loss is '\(fields.loss.rawValue)'", at: stated.location,
          notes: lossNote)
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
    }
    guard task == .regression else { return }
    let valid = (Vocabulary.metrics.map(\.name).filter { !TaskKind.classificationMetrics.contains($0) })
      .map { "'\($0)'" }.joined(separator: ", ")
    for metric in spec.metrics ?? [] where TaskKind.classificationMetrics.contains(metric.name) {
      diagnostics.error(
        "the metric '\(metric.name)' needs class predictions, but the task is regression; "
          + "a regression takes the metrics \(valid)", at: metric.location,
        notes: [
          .note(
            "the task is \(taskOrigin(fields)) here",
            at: fields.statedTask?.location ?? spec.loss?.location ?? output.origin.location)
        ])
    }
  }

  /// How a task came about, for notes.
  static func taskOrigin(_ fields: SpecTaskFields) -> String {
    fields.statedTask != nil
      ? "stated" : "inferred from the loss '\(fields.loss.rawValue)' on one output unit"
  }
}
