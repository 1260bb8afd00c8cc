extension Spec {
  /// Gives every positional argument its parameter name, using the vocabulary for layers and the
  /// declarations for blocks. Both front ends call this, so `dense(10)` and `dense: 10` and
  /// `dense: {units: 10}` become the same node.
  public func resolvingPositionalArguments(into diagnostics: inout DiagnosticBag) -> Spec {
    var spec = self
    let blockParameters = Dictionary(
      blocks.map { ($0.name, $0.parameters.map(\.name)) }, uniquingKeysWith: { first, _ in first })
    func positional(forLayer name: String) -> [String]? {
      if let signature = Vocabulary.layers[name] { return signature.positional }
      return blockParameters[name]
    }
    func resolve(_ call: Call, _ names: [String]?) -> Call {
      var call = call
      var index = 0
      for position in call.arguments.indices where call.arguments[position].label == nil {
        defer { index += 1 }
        guard let names, index < names.count else {
          // Unknown calls are reported elsewhere; only complain here when the callee is known.
          if let names {
            diagnostics.error(
              "'\(call.name)' takes \(names.isEmpty ? "no" : "at most \(names.count)") positional "
                + "argument\(names.count == 1 ? "" : "s")",
              at: call.arguments[position].value.location)
          }
          call.arguments[position].label = "_\(index)"
          continue
        }
        call.arguments[position].label = names[index]
      }
      return call
    }
    func resolveLayers(_ layers: [Layer]) -> [Layer] {
      layers.map { layer in
        var layer = layer
        switch layer.kind {
        case .call(let call):
          layer.kind = .call(resolve(call, positional(forLayer: call.name)))
        case .residual(let main, let shortcut):
          layer.kind = .residual(main: resolveLayers(main), shortcut: shortcut.map(resolveLayers))
        case .concat(let branches):
          layer.kind = .concat(
            branches: branches.map { Branch(layers: resolveLayers($0.layers), at: $0.location) })
        case .repeat(let count, let body):
          layer.kind = .repeat(count: count, body: resolveLayers(body))
        }
        return layer
      }
    }
    func named(_ signatures: [Signature], _ call: Call) -> Call {
      resolve(call, signatures.first { $0.name == call.name }?.positional)
    }
    spec.model?.layers = resolveLayers(model?.layers ?? [])
    spec.blocks = blocks.map { block in
      var block = block
      block.layers = resolveLayers(block.layers)
      return block
    }
    spec.loss = loss.map { named(Vocabulary.losses, $0) }
    spec.optimizer = optimizer.map { named(Vocabulary.optimizers, $0) }
    spec.metrics = metrics?.map { named(Vocabulary.metrics, $0) }
    spec.augment = augment?.map { named(Vocabulary.augmentations, $0) }
    return spec
  }
}
