/// The nesting depth the `.nnc` parser counts for a spec, measured on the AST so that a YAML spec
/// whose `.nnc` form the parser would refuse ("nests deeper than 200 levels") is refused when it is
/// read, at the YAML node that goes too deep: both syntaxes then accept the same specs, and
/// `nnc fmt --to nnc` always prints text that `nnc check` reads back. Each step mirrors `DSLParser`:
/// sections start at depth 1, a list, map or call's arguments one deeper, a layer list's layers one
/// deeper, a residual's or repeat's body at the layer's own depth, a concat's branches one deeper.
enum DSLNestingDepth {
  /// The first node (in reading order) whose depth exceeds `limit`, or nil when none does.
  static func firstTooDeep(in spec: Spec, limit: Int = DSLParser.maximumDepth) -> SourceLocation? {
    var walker = Walker(limit: limit)
    if let model = spec.model {
      if let input = model.input { walker.value(input, 2) }
      walker.layers(model.layers, 1, at: model.location)
    }
    for block in spec.blocks {
      for parameter in block.parameters { if let value = parameter.defaultValue { walker.value(value, 2) } }
      walker.layers(block.layers, 1, at: block.location)
    }
    for value in [spec.data, spec.train, spec.predict].compactMap({ $0 }) { walker.value(value, 1) }
    for call in [spec.loss, spec.optimizer].compactMap({ $0 }) { walker.call(call, 1) }
    for call in (spec.augment ?? []) + (spec.metrics ?? []) { walker.call(call, 2) }
    return walker.found
  }

  struct Walker {
    let limit: Int
    var found: SourceLocation?

    /// Records `location` when `depth` is past the limit; true when the walk should stop.
    mutating func exceeds(_ depth: Int, at location: SourceLocation) -> Bool {
      if found != nil { return true }
      if depth > limit { found = location }
      return found != nil
    }

    mutating func value(_ expr: Expr, _ depth: Int) {
      guard !exceeds(depth, at: expr.location) else { return }
      switch expr.kind {
      case .list(let items): for item in items { value(item, depth + 1) }
      case .map(let entries): for entry in entries { value(entry.value, depth + 1) }
      case .int, .double, .bool, .string, .reference: break
      }
    }

    mutating func call(_ call: Call, _ depth: Int) {
      guard !exceeds(depth, at: call.location) else { return }
      for argument in call.arguments { value(argument.value, depth + 1) }
    }

    mutating func layers(_ layers: [Layer], _ depth: Int, at location: SourceLocation) {
      guard !exceeds(depth, at: location) else { return }
      for layer in layers { self.layer(layer, depth + 1) }
    }

    mutating func layer(_ layer: Layer, _ depth: Int) {
      guard !exceeds(depth, at: layer.location) else { return }
      switch layer.kind {
      case .call(let call): self.call(call, depth)
      case .residual(let main, let shortcut):
        layers(main, depth, at: layer.location)
        if let shortcut { layers(shortcut, depth, at: layer.location) }
      case .concat(let branches):
        for branch in branches { layers(branch.layers, depth + 1, at: branch.location) }
      case .repeat(let count, let body):
        value(count, depth + 1)
        layers(body, depth, at: layer.location)
      }
    }
  }
}
