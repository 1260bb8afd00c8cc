import NNCSpec

/// Checks that tie the model to the other sections: the number of output units against the classes
/// of the data, and a final softmax against a loss that expects logits.
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
          "the model outputs \(outputShape.sample[0]) units but the data has \(classes) classes",
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
  }
}
