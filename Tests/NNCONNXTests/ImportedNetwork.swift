import Foundation
import NNCGraph
import NNCRuntime
import NNCSpec
import Testing

@testable import NNCONNX

/// An imported model ready to compute: its spec lowered, its weights loaded into an inference
/// executor, and the output activation the import left to the loss applied again, so that its outputs
/// are the ONNX graph's.
struct ImportedNetwork {
  let imported: ONNXImportedModel
  let graph: Graph
  let executor: Executor

  init(_ imported: ONNXImportedModel, maxBatch: Int) throws {
    self.imported = imported
    let result = Lowering.lower(imported.spec)
    graph = try #require(result.graph, "\(result.diagnostics.map(\.message))")
    executor = Executor(
      graph: graph, maxBatch: maxBatch,
      configuration: ExecutionConfiguration(mode: .inference, optimization: .none))
    for slot in executor.parameterLayout {
      let weight = try #require(imported.weights[slot.info.name], "no weight '\(slot.info.name)'")
      let buffer = executor.parameter(slot)
      try #require(
        weight.values.count == buffer.count, "'\(slot.info.name)' has \(weight.values.count) values")
      for index in buffer.indices { buffer[index] = weight.values[index] }
    }
  }

  /// The outputs of `batch` samples laid out one after the other.
  func run(_ input: [Float], batch: Int) -> [Float] {
    Self.forward(executor, input, batch: batch, head: imported.outputActivation)
  }

  /// Runs `executor` on `input`, then applies `head` over each sample's features (axis 1).
  static func forward(_ executor: Executor, _ input: [Float], batch: Int, head: ONNXImportedHead? = nil)
    -> [Float]
  {
    precondition(input.count == batch * executor.inputSampleCount)
    for index in input.indices { executor.input[index] = input[index] }
    executor.forward(batch: batch, training: false)
    var output = Array(UnsafeBufferPointer(start: executor.output, count: batch * executor.outputSampleCount))
    guard let head else { return output }
    let shape = executor.graph.outputShape.sample
    let channels = shape[0]
    let inner = shape.dropFirst().reduce(1, *)
    for sample in 0..<batch {
      for position in 0..<inner {
        let indices = (0..<channels).map { sample * channels * inner + $0 * inner + position }
        switch head {
        case .sigmoid:
          for index in indices { output[index] = 1 / (1 + exp(-output[index])) }
        case .softmax:
          let largest = indices.map { output[$0] }.max() ?? 0
          let total = indices.reduce(Float(0)) { $0 + exp(output[$1] - largest) }
          for index in indices { output[index] = exp(output[index] - largest) / total }
        }
      }
    }
    return output
  }

  /// The largest |actual - expected| beyond `atol + rtol * |expected|` (0 when every value is within).
  static func excess(_ actual: [Float], _ expected: [Float], rtol: Float, atol: Float) -> Float {
    zip(actual, expected).reduce(Float(0)) { worst, pair in
      let allowed = atol + rtol * abs(pair.1)
      let difference = abs(pair.0 - pair.1)
      return difference.isNaN ? .infinity : max(worst, difference - allowed)
    }
  }
}
