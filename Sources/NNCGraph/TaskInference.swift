import NNCSpec

extension TaskKind {
  /// The task a loss implies on a head of `outputUnits` units. `declaresClasses` when the data section
  /// names its classes (`classes`, `classes_subset`): then `mse` keeps its meaning of a distance to
  /// one-hot labels, a classification. `dataTargets` is the task the data section's target keys imply
  /// (`target_columns`: regression; `label_columns`, `label_lists`: multi-label), which wins.
  public static func inferred(
    loss: LossKind, outputUnits: Int, declaresClasses: Bool, dataTargets: TaskKind? = nil
  ) -> TaskKind {
    if let dataTargets { return dataTargets }
    switch loss {
    case .crossEntropy: return .classification
    case .binaryCrossEntropy: return outputUnits == 1 ? .binary : .multilabel
    case .mse: return outputUnits == 1 && !declaresClasses ? .regression : .classification
    case .mae, .huber: return .regression
    }
  }

  /// The task of a spec's model: `data.task` when given, else inferred from the loss and the head.
  public static func of(spec: Spec, graph: Graph) -> TaskKind {
    let data = SpecTaskFields(spec)
    if let stated = data.statedTask { return stated.task }
    return inferred(
      loss: data.loss, outputUnits: graph.outputShape.sampleCount,
      declaresClasses: data.declaresClasses, dataTargets: data.targetsTask?.task)
  }
}

/// The parts of a spec that decide its task, read from the sections as written.
struct SpecTaskFields {
  var loss: LossKind
  var statedTask: (task: TaskKind, location: SourceLocation)?
  var declaresClasses: Bool
  /// The task the data's target keys imply, and the key that implies it.
  var targetsTask: (task: TaskKind, key: String, location: SourceLocation)?

  init(_ spec: Spec) {
    loss = spec.loss.flatMap { LossKind(rawValue: $0.name) } ?? .specDefault
    var entries: [MapEntry] = []
    if case .map(let fields) = spec.data?.kind { entries = fields }
    declaresClasses = entries.contains { $0.key == "classes" || $0.key == "classes_subset" }
    for entry in entries {
      switch entry.key {
      case "target_columns": targetsTask = (.regression, entry.key, entry.value.location)
      case "label_columns": targetsTask = (.multilabel, entry.key, entry.value.location)
      case "label_lists":
        if case .bool(true) = entry.value.kind {
          targetsTask = (.multilabel, entry.key, entry.value.location)
        }
      default: break
      }
    }
    if let entry = entries.first(where: { $0.key == "task" }), case .string(let name) = entry.value.kind,
      let task = TaskKind(rawValue: name)
    {
      statedTask = (task, entry.value.location)
    }
  }
}
