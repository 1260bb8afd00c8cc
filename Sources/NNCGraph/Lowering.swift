import NNCSpec

/// The result of lowering a spec: the graph when the model is well formed, and every diagnostic.
public struct LoweringResult: Sendable {
  public var graph: Graph?
  public var diagnostics: [Diagnostic]

  public var hasErrors: Bool { diagnostics.contains { $0.severity == .error } }
}

/// Turns a spec into the graph IR: validates its sections, expands blocks and repeats, infers every
/// shape with a symbolic batch dimension, and reports mistakes at the spec line that caused them.
public enum Lowering {
  public static func lower(_ spec: Spec) -> LoweringResult {
    var diagnostics = DiagnosticBag()
    SpecValidator.validate(spec, into: &diagnostics)
    guard let model = spec.model, let inputShape = inputShape(of: model) else {
      return LoweringResult(graph: nil, diagnostics: diagnostics.diagnostics)
    }
    var lowerer = Lowerer(spec: spec)
    guard let inputElements = CheckedArithmetic.product(inputShape), inputElements <= Limits.elements else {
      let location = model.input?.location ?? model.location
      diagnostics.error(
        "the input \(Shape(batchOf: inputShape)) has more than \(Limits.elements) elements per sample",
        at: location)
      return LoweringResult(graph: nil, diagnostics: diagnostics.diagnostics)
    }
    lowerer.totalElements = inputElements
    let inputLocation = model.input?.location ?? model.location
    let input = lowerer.newValue(Shape(batchOf: inputShape))
    let start = Flow(
      value: input, shape: Shape(batchOf: inputShape), origin: Origin(inputLocation, "the model input"))
    let output = lowerer.lower(model.layers, from: start, environment: [:], scope: "")
    diagnostics.append(contentsOf: lowerer.diagnostics.diagnostics)
    guard let output, !diagnostics.hasErrors, !lowerer.aborted else {
      return LoweringResult(graph: nil, diagnostics: diagnostics.diagnostics)
    }
    var graph = Graph(
      name: model.name ?? "model", input: input, output: output.value, nodes: lowerer.nodes,
      shapes: lowerer.shapes)
    graph.applyTrainSelections(spec.train, into: &diagnostics)
    OutputChecks.check(graph: graph, output: output, spec: spec, into: &diagnostics)
    return LoweringResult(graph: diagnostics.hasErrors ? nil : graph, diagnostics: diagnostics.diagnostics)
  }

  static func inputShape(of model: ModelDecl) -> [Int]? {
    guard case .list(let items) = model.input?.kind else { return nil }
    let dims = items.compactMap { item -> Int? in
      if case .int(let value) = item.kind, value >= 1, value <= Limits.size { return value }
      return nil
    }
    return dims.count == items.count && (dims.count == 1 || dims.count == 3) ? dims : nil
  }
}

/// Where a value came from, for notes like "[N,128,16,16] comes from conv2d(...) here".
struct Origin {
  var location: SourceLocation
  var description: String
  /// The layer that set the feature/channel count (an activation passes its input's through).
  var unitsLocation: SourceLocation

  init(_ location: SourceLocation, _ description: String, unitsLocation: SourceLocation? = nil) {
    self.location = location
    self.description = description
    self.unitsLocation = unitsLocation ?? location
  }

  func note(_ shape: Shape) -> Diagnostic {
    .note("\(shape) comes from \(description) here", at: location)
  }
}

/// A value flowing through the layer list with its shape.
struct Flow {
  var value: ValueID
  var shape: Shape
  var origin: Origin
  /// Set when the last node is a softmax, for the loss warning.
  var endsInSoftmax = false
  /// Set when the last node is a sigmoid, for the same warning on binary cross-entropy.
  var endsInSigmoid = false
}

struct Lowerer {
  let spec: Spec
  var diagnostics = DiagnosticBag()
  var nodes: [Node] = []
  var shapes: [Shape] = []
  var nameCounts: [String: Int] = [:]
  var usedNames: Set<String> = []
  var blockStack: [String] = []
  var aborted = false

  /// A spec can ask for absurd expansions (`repeat(1000000)` nested); refusing beats hanging.
  static let nodeLimit = Limits.layers
  static let repeatLimit = Limits.repeatCount
  /// Work done expanding the model, counted per layer and per repeat iteration: a body that adds no
  /// layers still costs its iterations, so nested empty repeats end too.
  var expansionSteps = 0
  /// Running per-sample totals, checked against `Limits` at every node.
  var totalParameters = 0
  var totalElements = 0
  var totalFlops = 0

  init(spec: Spec) { self.spec = spec }

  mutating func newValue(_ shape: Shape) -> ValueID {
    shapes.append(shape)
    return ValueID(shapes.count - 1)
  }

  mutating func uniqueName(_ base: String, scope: String) -> String {
    let count = nameCounts[scope + base, default: 0]
    nameCounts[scope + base] = count + 1
    var name = scope + (count == 0 ? base : "\(base)_\(count)")
    while usedNames.contains(name) { name += "_" }
    usedNames.insert(name)
    return name
  }

  // MARK: Layer lists

  /// Lowers `layers` in sequence. A nil input means an earlier error poisoned the value: the layers
  /// are still checked for argument mistakes, but no shapes are inferred (no cascading errors).
  mutating func lower(_ layers: [Layer], from input: Flow?, environment: [String: Expr], scope: String)
    -> Flow?
  {
    var flow = input
    for layer in layers {
      if aborted || !takeExpansionStep(at: layer.location) { return nil }
      flow = lower(layer, from: flow, environment: environment, scope: scope)
    }
    return flow
  }

  mutating func lower(_ layer: Layer, from input: Flow?, environment: [String: Expr], scope: String) -> Flow?
  {
    switch layer.kind {
    case .call(let call):
      guard let call = substitute(call, environment) else { return nil }
      if let block = spec.block(named: call.name) {
        return expand(block, call: call, from: input, scope: scope)
      }
      guard let signature = Vocabulary.layers[call.name] else { return nil }  // reported by the validator
      let before = diagnostics.diagnostics.count
      let arguments = ArgumentChecker.check(
        call, against: signature, what: "'\(call.name)'", into: &diagnostics)
      guard diagnostics.diagnostics.count == before, let input else { return nil }
      return lowerLayer(call, arguments, from: input, scope: scope)
    case .residual(let main, let shortcut):
      let mainFlow = lower(main, from: input, environment: environment, scope: scope)
      var shortcutFlow = input
      if let shortcut {
        shortcutFlow = lower(shortcut, from: input, environment: environment, scope: scope)
      } else if let input {
        shortcutFlow?.origin = Origin(
          input.origin.location,
          "the identity shortcut, the residual's input from \(input.origin.description)",
          unitsLocation: input.origin.unitsLocation)
      }
      guard let mainFlow, let shortcutFlow else { return nil }
      return add(mainFlow, shortcutFlow, at: layer.location, hasShortcut: shortcut != nil, scope: scope)
    case .concat(let branches):
      var flows: [Flow] = []
      var poisoned = false
      for branch in branches {
        if let flow = lower(branch.layers, from: input, environment: environment, scope: scope) {
          flows.append(flow)
        } else {
          poisoned = true
        }
      }
      guard !poisoned, flows.count >= 2 else { return nil }
      return concat(flows, at: layer.location, scope: scope)
    case .repeat(let countExpr, let body):
      guard let countExpr = substitute(countExpr, environment) else { return nil }
      guard case .int(let count) = countExpr.kind, count >= 1, count <= Self.repeatLimit else {
        diagnostics.error(
          "'repeat' count must be an integer from 1 to \(Self.repeatLimit), found \(countExpr.displayText)",
          at: countExpr.location)
        return nil
      }
      var flow = input
      for _ in 0..<count {
        if aborted || !takeExpansionStep(at: layer.location) { return nil }
        flow = lower(body, from: flow, environment: environment, scope: scope)
        // Once poisoned, repeating the same body cannot find new mistakes.
        if flow == nil { break }
      }
      return flow
    }
  }

  // MARK: Blocks

  mutating func expand(_ block: BlockDecl, call: Call, from input: Flow?, scope: String) -> Flow? {
    if blockStack.contains(block.name) {
      diagnostics.error(
        "block '\(block.name)' uses itself", at: call.location,
        notes: [.note("'\(block.name)' is declared here", at: block.location)])
      return nil
    }
    var environment: [String: Expr] = [:]
    let names = block.parameters.map(\.name)
    var failed = false
    for argument in call.arguments {
      guard let label = argument.label, !label.hasPrefix("_") else { continue }
      guard names.contains(label) else {
        let hint =
          Suggestions.closest(to: label, in: names).map { "; did you mean '\($0)'?" }
          ?? (names.isEmpty
            ? "; it takes no arguments" : "; its parameters are " + names.joined(separator: ", "))
        diagnostics.error(
          "unknown argument '\(label)' for block '\(block.name)'\(hint)", at: argument.labelLocation,
          notes: [.note("'\(block.name)' is declared here", at: block.location)])
        failed = true
        continue
      }
      environment[label] = argument.value
    }
    for parameter in block.parameters where environment[parameter.name] == nil {
      if let value = parameter.defaultValue {
        environment[parameter.name] = value
      } else {
        diagnostics.error(
          "block '\(block.name)' needs a value for '\(parameter.name)'", at: call.location,
          notes: [.note("'\(parameter.name)' is declared here", at: parameter.location)])
        failed = true
      }
    }
    if failed { return nil }
    blockStack.append(block.name)
    defer { blockStack.removeLast() }
    let instance = uniqueName(block.name, scope: scope) + "/"
    return lower(block.layers, from: input, environment: environment, scope: instance)
  }

  mutating func substitute(_ call: Call, _ environment: [String: Expr]) -> Call? {
    var call = call
    var ok = true
    for index in call.arguments.indices {
      if let value = substitute(call.arguments[index].value, environment) {
        call.arguments[index].value = value
      } else {
        ok = false
      }
    }
    return ok ? call : nil
  }

  mutating func substitute(_ expr: Expr, _ environment: [String: Expr]) -> Expr? {
    switch expr.kind {
    case .reference(let name):
      if let value = environment[name] { return value }
      if blockStack.isEmpty {
        diagnostics.error("'$\(name)' refers to a block parameter outside any block", at: expr.location)
      } else {
        diagnostics.error(
          "unknown parameter '\(name)' in block '\(blockStack.last!)'"
            + Suggestions.didYouMean(name, in: Array(environment.keys)), at: expr.location)
      }
      return nil
    case .list(let items):
      var result: [Expr] = []
      for item in items {
        guard let value = substitute(item, environment) else { return nil }
        result.append(value)
      }
      return Expr(.list(result), at: expr.location)
    default:
      return expr
    }
  }

  // MARK: Emitting nodes

  mutating func emit(
    _ op: Op, layerName: String, name: String, inputs: [Flow], shape: Shape,
    parameters: [(ParameterRole, [Int])] = [], trainable: Bool = true, initializer: InitializerKind? = nil,
    biasInitializer: InitializerKind? = nil, fan: (Int, Int) = (1, 1), location: SourceLocation,
    description: String, keepsUnits: Bool = false
  ) -> Flow {
    if nodes.count >= Self.nodeLimit, !aborted {
      aborted = true
      diagnostics.error(
        "the model expands to more than \(Self.nodeLimit) layers; check 'repeat' counts", at: location)
    }
    if !aborted {
      checkSizes(
        op, inputs: inputs.map(\.shape), output: shape, parameters: parameters.map(\.1), at: location)
    }
    let output = newValue(shape)
    let infos = parameters.map { role, shape in
      ParameterInfo(
        name: "\(name).\(role.rawValue)", shape: shape, role: role,
        trainable: trainable && role.canTrain,
        initializer: role == .bias
          ? biasInitializer ?? .zeros : Self.initializer(for: role, weights: initializer ?? .glorotUniform),
        fanIn: fan.0, fanOut: fan.1)
    }
    nodes.append(
      Node(
        name: name, op: op, inputs: inputs.map(\.value), output: output, parameters: infos,
        location: location, layerName: layerName, isFrozen: !trainable, isFrozenInModel: !trainable))
    let unitsLocation = keepsUnits ? inputs.first?.origin.unitsLocation : location
    var flow = Flow(
      value: output, shape: shape, origin: Origin(location, description, unitsLocation: unitsLocation))
    if case .activation(.softmax) = op { flow.endsInSoftmax = true }
    if case .activation(.sigmoid) = op { flow.endsInSigmoid = true }
    return flow
  }

  static func initializer(for role: ParameterRole, weights: InitializerKind) -> InitializerKind {
    switch role {
    case .weight: return weights
    case .bias, .beta, .runningMean: return .zeros
    case .gamma, .runningVariance: return .ones
    }
  }

  mutating func add(
    _ main: Flow, _ shortcut: Flow, at location: SourceLocation, hasShortcut: Bool, scope: String
  )
    -> Flow?
  {
    guard main.shape == shortcut.shape else {
      var notes = [main.origin.note(main.shape), shortcut.origin.note(shortcut.shape)]
      let mainSample = main.shape.sample
      let shortcutSample = shortcut.shape.sample
      if mainSample.count == 3, shortcutSample.count == 3 {
        let stride = shortcutSample[1] / max(1, mainSample[1])
        let strideText = stride > 1 ? ", stride: \(stride)" : ""
        let fix = "conv2d(\(mainSample[0]), kernel: 1\(strideText), bias: false) and batchnorm"
        notes.append(
          .note(
            hasShortcut
              ? "make the shortcut produce \(main.shape), e.g. with \(fix)"
              : "add a projection shortcut: shortcut { \(fix) }", at: location))
      }
      diagnostics.error("cannot add \(shortcut.shape) to \(main.shape)", at: location, notes: notes)
      return nil
    }
    return emit(
      .add, layerName: "add", name: uniqueName("add", scope: scope), inputs: [main, shortcut],
      shape: main.shape,
      location: location, description: "the residual add", keepsUnits: true)
  }

  mutating func concat(_ flows: [Flow], at location: SourceLocation, scope: String) -> Flow? {
    let first = flows[0].shape.sample
    let compatible = flows.allSatisfy { flow in
      let sample = flow.shape.sample
      return sample.count == first.count && sample.dropFirst() == first.dropFirst()
    }
    guard compatible else {
      let what = first.count == 3 ? "spatial sizes differ" : "ranks differ"
      diagnostics.error(
        "cannot concatenate \(flows.map { $0.shape.description }.joined(separator: ", ")): \(what)",
        at: location, notes: flows.map { $0.origin.note($0.shape) })
      return nil
    }
    var sample = first
    guard let channels = CheckedArithmetic.sum(flows.map { $0.shape.sample[0] }), channels <= Limits.elements
    else {
      reportTooLarge("the concatenated channels", limit: Limits.elements, at: location)
      return nil
    }
    sample[0] = channels
    return emit(
      .concat, layerName: "concat", name: uniqueName("concat", scope: scope), inputs: flows,
      shape: Shape(batchOf: sample), location: location, description: "concat")
  }
}
