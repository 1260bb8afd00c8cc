import Foundation
import NNCGraph
import NNCRuntime
import NNCSpec

/// `nnc check --format json`. Shapes are lists whose batch dimension is `null`. The keys are stable;
/// new keys may be added, existing ones keep their meaning.
struct CheckReport: Encodable {
  struct Parameters: Encodable {
    var trainable: Int
    var non_trainable: Int
    var total: Int
  }

  struct LayerRow: Encodable {
    var name: String
    var op: String
    var output_shape: [Int?]
    var params: Int
    /// False when the layer's parameters are frozen (by `trainable: false` or `train.freeze`).
    var trainable: Bool
  }

  struct DiagnosticEntry: Encodable {
    var severity: String
    var message: String
    var file: String?
    var line: Int?
    var column: Int?
  }

  /// Activation memory (values, and in training their gradients) in bytes at `batch_size`.
  struct MemoryEstimate: Encodable {
    var naive_bytes: Int
    var planned_bytes: Int
  }

  struct Memory: Encodable {
    var inference: MemoryEstimate
    var training: MemoryEstimate
    /// What `nnc train` needs at `batch_size`, data aside.
    var run: RunEstimate?
  }

  /// Everything a training run allocates (see `NNCRuntime.MemoryEstimate`) except the data, against
  /// the memory available to the process.
  struct RunEstimate: Encodable {
    struct Part: Encodable {
      var name: String
      var bytes: Int
    }

    var total_bytes: Int
    var parameters_bytes: Int
    var gradients_bytes: Int
    var optimizer_state_bytes: Int
    var activation_bytes: Int
    /// Scratch, pooling indices, saved statistics, kept weights.
    var other_bytes: Int
    /// The three largest parts, largest first.
    var largest: [Part]
    var available_bytes: Int?
    /// True when the run needs more than half of `available_bytes`: `nnc check` then warns.
    var exceeds_half_available: Bool

    init(_ estimate: NNCRuntime.MemoryEstimate, budget: MemoryBudget?) {
      total_bytes = estimate.totalBytes
      parameters_bytes = estimate.bytes(of: .parameters)
      gradients_bytes = estimate.bytes(of: .gradients)
      optimizer_state_bytes = estimate.bytes(of: .optimizerState)
      activation_bytes = estimate.bytes(of: .activations)
      let named: Set<NNCRuntime.MemoryEstimate.Kind> = [
        .parameters, .gradients, .optimizerState, .activations,
      ]
      other_bytes = estimate.parts.filter { !named.contains($0.kind) }.reduce(0) { $0 &+ $1.bytes }
      largest = estimate.largest(3).map { Part(name: $0.description, bytes: $0.bytes) }
      available_bytes = budget?.availableBytes
      exceeds_half_available = budget.map { estimate.totalBytes > $0.availableBytes / 2 } ?? false
    }

    /// One line for the text summary.
    var text: String {
      func bytes(_ count: Int) -> String { NNCRuntime.MemoryEstimate.bytesText(count) }
      return
        "memory (training, data aside): about \(bytes(total_bytes)) — parameters \(bytes(parameters_bytes)), "
        + "gradients \(bytes(gradients_bytes)), optimizer state \(bytes(optimizer_state_bytes)), "
        + "activations \(bytes(activation_bytes)), other \(bytes(other_bytes))"
    }
  }

  var model: String
  var input_shape: [Int?]
  var output_shape: [Int?]
  var params: Parameters
  var flops: Int
  var batch_size: Int
  var activation_bytes: Int
  var layers: [LayerRow]
  var diagnostics: [DiagnosticEntry]
  /// The `augment` steps, as written in the .nnc syntax (empty without an augment section).
  var augment: [String] = []
  var memory: Memory?
  /// What the model predicts (`TaskKind`): classification, binary, multilabel or regression.
  var task = TaskKind.classification.rawValue
  /// Per training phase (one without `train.phases`): epochs, optimizer, trainable and frozen counts.
  var phases: [PhaseSummary] = []

  init(summary: ModelSummary, diagnostics: [Diagnostic]) {
    model = summary.name
    input_shape = Self.dimensions(summary.inputShape)
    output_shape = Self.dimensions(summary.outputShape)
    params = Parameters(
      trainable: summary.parameters.trainable, non_trainable: summary.parameters.nonTrainable,
      total: summary.parameters.total)
    flops = summary.flops
    batch_size = summary.batchSize
    activation_bytes = summary.activationBytes
    layers = summary.rows.map {
      LayerRow(
        name: $0.name, op: $0.op, output_shape: Self.dimensions($0.outputShape), params: $0.parameters,
        trainable: !$0.isFrozen)
    }
    self.diagnostics = diagnostics.map {
      DiagnosticEntry(
        severity: $0.severity.rawValue, message: $0.message, file: $0.location?.file, line: $0.location?.line,
        column: $0.location?.column)
    }
  }

  static func dimensions(_ shape: Shape) -> [Int?] {
    shape.dimensions.map { if case .fixed(let value) = $0 { value } else { nil } }
  }

  func jsonString() throws -> String { try reportJSON(self) }
}
