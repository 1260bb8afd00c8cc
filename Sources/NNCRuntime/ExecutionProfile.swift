import Dispatch
import NNCGraph

/// Wall-clock time per kind of node (`conv2d_relu 3x3`, `batchnorm`, ...) and pass, accumulated over
/// the `forward` and `backward` calls of an `Executor` whose `profile` is set (`nnc bench
/// --profile`). Timing adds two clock reads per node; without a profile nothing is measured.
public final class ExecutionProfile {
  public enum Pass: Sendable { case forward, backward }

  public struct Entry: Sendable, Equatable {
    /// The node kind: its mnemonic, with kernel size and stride for convolutions and pooling, and the
    /// output shape of one sample and the algorithm (`ConvolutionAlgorithm`) for convolutions.
    public var kind: String
    public var forwardSeconds: Double = 0
    public var backwardSeconds: Double = 0
    /// Nodes of this kind in the graph.
    public var nodes: Int = 0
  }

  /// Entries in the order their kinds first appear in the graph.
  public private(set) var entries: [Entry] = []
  private var entryIndex: [String: Int] = [:]
  /// Per graph node, its entry (built on first use).
  private var nodeEntries: [Int] = []

  public init() {}

  public func reset() {
    for index in entries.indices {
      entries[index].forwardSeconds = 0
      entries[index].backwardSeconds = 0
    }
  }

  func prepare(_ plan: ExecutionPlan) {
    let graph = plan.graph
    guard nodeEntries.count != graph.nodes.count else { return }
    nodeEntries = zip(graph.nodes, plan.steps).map { node, step in
      var kind = Self.kind(of: node.op)
      if let convolution = step.convolution {
        // Convolutions differ most in cost by their output shape (late ResNet stages are tiny) and
        // by the algorithm the plan chose to compute them.
        kind += " -> " + graph.shape(of: node.output).sample.map(String.init).joined(separator: "x")
        kind += " " + convolution.algorithmDescription
        // A fused pair's time is the pointwise step's; the depthwise step only prepares weights.
        if step.separableDepthwise != nil { kind += " + depthwise" }
        if step.isComputedByConsumer { kind += " (in the next pointwise)" }
      }
      if let index = entryIndex[kind] {
        entries[index].nodes += 1
        return index
      }
      entryIndex[kind] = entries.count
      entries.append(Entry(kind: kind, nodes: 1))
      return entries.count - 1
    }
  }

  /// Runs `body` and adds its wall-clock time to the entry of node `index`.
  @inline(__always)
  func measure(node index: Int, pass: Pass, _ body: () -> Void) {
    let start = DispatchTime.now().uptimeNanoseconds
    body()
    let seconds = Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9
    switch pass {
    case .forward: entries[nodeEntries[index]].forwardSeconds += seconds
    case .backward: entries[nodeEntries[index]].backwardSeconds += seconds
    }
  }

  static func kind(of op: Op) -> String {
    var kind = op.mnemonic
    if let attributes = op.convolutionAttributes {
      kind += " \(attributes.kernel.height)x\(attributes.kernel.width)"
      if attributes.stride.height > 1 || attributes.stride.width > 1 {
        kind += "/\(attributes.stride.height)"
      }
    } else if case .pool(let attributes) = op {
      kind += " \(attributes.window.height)x\(attributes.window.width)/\(attributes.stride.height)"
    }
    return kind
  }
}
