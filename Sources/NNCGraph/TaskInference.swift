import NNCSpec

extension TaskKind {
  /// The task a loss implies on a head of `outputUnits` units. `declaresClasses` when the data section
  /// names its classes (`classes`, `classes_subset`): then `mse` keeps its meaning of a distance to
  /// one-hot labels, a classification.
  public static func inferred(loss: LossKind, outputUnits: Int, declaresClasses: Bool) -> TaskKind {
    switch loss {
    case .crossEntropy: .classification
    case .binaryCrossEntropy: outputUnits == 1 ? .binary : .multilabel
    case .mse: outputUnits == 1 && !declaresClasses ? .regression : .classification
    case .mae, .huber: .regression
    }
  }

  /// The task of a spec's model: `data.task` when given, else inferred from the loss and the head.
  public static func of(spec: Spec, graph: Graph) -> TaskKind {
    let data = SpecTaskFields(spec)
    if let stated = data.statedTask { return stated.task }
    return inferred(
      loss: data.loss, outputUnits: graph.outputShape.sampleCount,
      declaresClasses: data.declaresClasses)
  }
}

/// The parts of a spec that decide its task, read from the sections as written.
struct SpecTaskFields {
  var loss: LossKind
  var statedTask: (task: TaskKind, location: SourceLocation)?
  var declaresClasses: Bool

  init(_ spec: Spec) {
    loss = spec.loss.flatMap { LossKind(rawValue: $0.name) } ?? .specDefault
    var entries: [MapEntry] = []
    if case .map(let fields) = spec.data?.kind { entries = fields }
    declaresClasses = entries.contains { $0.key == "classes" || $0.key == "classes_subset" }
    if let entry = entries.first(where: { $0.key == "task" }), case .string(let name) = entry.value.kind,
      let task = TaskKind(rawValue: name)
    {
      statedTask = (task, entry.value.location)
    }
  }
}
