import NNCSpec
import Testing

@testable import NNCGraph

/// `ceil_mode: true` (Caffe's pooling, PyTorch's `ceil_mode`): the output size rounds up, but the
/// last window must start inside the input plus the padding before it.
@Suite struct CeilModePoolingTests {
  /// PyTorch's formula, written independently of the lowering.
  static func pytorchSize(input: Int, window: Int, stride: Int, padding: Int) -> Int {
    let span = input + 2 * padding - window
    var output = (span + stride - 1) / stride + 1
    if (output - 1) * stride >= input + padding { output -= 1 }
    return output
  }

  @Test(arguments: [
    (32, 3, 2, 0), (16, 3, 2, 0), (8, 3, 2, 0), (7, 2, 2, 0), (6, 3, 3, 1), (5, 2, 2, 1), (9, 3, 2, 1),
    (4, 4, 1, 0), (10, 3, 4, 0),
  ])
  func outputSizeFollowsPyTorch(input: Int, window: Int, stride: Int, padding: Int) throws {
    for pool in ["maxpool", "avgpool"] {
      let result = lowerYAML(
        """
        model:
          input: [2, \(input), \(input)]
          layers:
            - \(pool): {size: \(window), stride: \(stride), padding: \(padding), ceil_mode: true}
        """)
      let graph = try #require(result.graph, "\(result.diagnostics)")
      let size = Self.pytorchSize(input: input, window: window, stride: stride, padding: padding)
      #expect(graph.outputShape == Shape(batchOf: [2, size, size]), "\(pool) \(input) \(window) \(stride)")
      // The overhang is extra padding after the input, never as wide as the window, so every window
      // holds a real pixel and the average divides by the real pixels alone.
      guard case .pool(let attributes) = try #require(graph.nodes.last).op else {
        Issue.record("not a pooling node")
        return
      }
      #expect(attributes.padding.top == padding && attributes.padding.left == padding)
      #expect(attributes.padding.bottom < window && attributes.padding.right < window)
      #expect((size - 1) * stride + window <= input + attributes.padding.top + attributes.padding.bottom)
      #expect((size - 1) * stride < input + padding)
    }
  }

  @Test func withoutCeilModeTheSizeRoundsDown() throws {
    let result = lowerYAML(
      """
      model:
        input: [1, 32, 32]
        layers:
          - maxpool: {size: 3, stride: 2}
      """)
    let graph = try #require(result.graph)
    #expect(graph.outputShape == Shape(batchOf: [1, 15, 15]))
  }
}
