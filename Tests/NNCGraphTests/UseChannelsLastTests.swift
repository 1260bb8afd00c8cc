import Foundation
import NNCSpec
import Testing

@testable import NNCGraph

/// `UseChannelsLast`: regions of channels-last kernels joined through their values run NHWC when
/// they hold a depthwise convolution, with one reorder per value entering or leaving them.
@Suite struct UseChannelsLastTests {
  /// A stem, an inverted residual block (expand, depthwise, project, add; MobileNetV2's widths,
  /// about 440 FLOPs per element its reorders copy) and a head.
  static let mobileBlock = """
    model:
      input: [3, 8, 8]
      layers:
        - conv2d: {filters: 32, kernel: 3, padding: 1, bias: false}
        - batchnorm
        - relu6
        - residual:
            layers:
              - conv2d: {filters: 192, kernel: 1, bias: false}
              - batchnorm
              - relu6
              - depthwise_conv2d: {kernel: 3, padding: 1, bias: false}
              - batchnorm
              - relu6
              - conv2d: {filters: 32, kernel: 1, bias: false}
              - batchnorm
        - global_avgpool
        - dense: 4
    """

  func optimized(_ text: String) throws -> Graph {
    try PassManager.optimize(try lowered(text), mode: .inference)
  }

  @Test func theDepthwiseRegionRunsChannelsLastBetweenTwoReorders() throws {
    let graph = try optimized(Self.mobileBlock)
    #expect(graph.nodes.filter { $0.op == .reorder(.channelsLast) }.count == 1, "\(mnemonics(graph))")
    #expect(graph.nodes.filter { $0.op == .reorder(.channelsFirst) }.count == 1, "\(mnemonics(graph))")
    let layouts = graph.valueLayouts
    // The block's three convolutions, its addition and nothing else are channels-last.
    let channelsLast = graph.nodes.filter { layouts[$0.output.index] == .channelsLast }.map(\.op.mnemonic)
    #expect(
      channelsLast == [
        "reorder", "conv2d+batchnorm+relu6", "depthwise_conv2d+batchnorm+relu6", "conv2d+batchnorm", "add",
      ])
    #expect(layouts[graph.output.index] == .channelsFirst)
    try GraphVerifier.verify(graph, mode: .inference, after: "test")
  }

  @Test func trainingGraphsKeepChannelsFirst() throws {
    let graph = try PassManager.optimize(try lowered(Self.mobileBlock), mode: .training)
    #expect(!graph.nodes.contains { $0.op == .reorder(.channelsLast) })
    #expect(!UseChannelsLast().applies(to: .training))
  }

  /// A ResNet bottleneck's 1x1 layers have channels-last kernels but no depthwise convolution
  /// joins them: reorders would only add work.
  @Test func regionsWithoutADepthwiseConvolutionStayChannelsFirst() throws {
    let graph = try optimized(
      """
      model:
        input: [8, 6, 6]
        layers:
          - residual:
              layers:
                - conv2d: {filters: 4, kernel: 1}
                - relu
                - conv2d: {filters: 4, kernel: 3, padding: 1}
                - relu
                - conv2d: {filters: 8, kernel: 1}
          - relu
          - global_avgpool
      """)
    #expect(!mnemonics(graph).contains("reorder"), "\(mnemonics(graph))")
  }

  /// A depthwise convolution among ordinary ones: two reorders would cost what its channels-last
  /// kernel saves.
  @Test func aLoneDepthwiseConvolutionStaysChannelsFirst() throws {
    let graph = try optimized(
      """
      model:
        input: [3, 6, 6]
        layers:
          - conv2d: {filters: 8, kernel: 3, padding: 1}
          - depthwise_conv2d: {kernel: 3, padding: 1}
          - relu6
          - maxpool: 2
          - flatten
          - dense: 2
      """)
    #expect(!mnemonics(graph).contains("reorder"), "\(mnemonics(graph))")
  }

  /// The same block at a tenth of the widths does about 50 FLOPs per element its reorders would
  /// copy (as `xception_mini`'s blocks between max poolings): it stays channels-first.
  @Test func aRegionTooSmallForItsReordersStaysChannelsFirst() throws {
    let narrow = Self.mobileBlock.replacingOccurrences(of: "filters: 192", with: "filters: 16")
      .replacingOccurrences(of: "filters: 32", with: "filters: 8")
    let graph = try optimized(narrow)
    #expect(!mnemonics(graph).contains("reorder"), "\(mnemonics(graph))")
  }

  /// A value read in both layouts (a depthwise input that is also the graph's output) gets one
  /// reorder, and the graph output stays channels-first.
  @Test func aValueLeavingTheRegionIsReorderedOnce() throws {
    let graph = try optimized(
      """
      model:
        input: [640, 3, 3]
        layers:
          - depthwise_conv2d: {kernel: 3, padding: 1}
          - relu
          - conv2d: {filters: 640, kernel: 1}
      """)
    #expect(mnemonics(graph).first == "reorder")
    #expect(mnemonics(graph).last == "reorder")
    #expect(graph.valueLayouts[graph.output.index] == .channelsFirst)
    #expect(graph.nodes.count == 4, "\(mnemonics(graph))")
    try GraphVerifier.verify(graph, mode: .inference, after: "test")
  }

  @Test func theVerifierRejectsAChannelsLastValueReadByAChannelsFirstOp() throws {
    var graph = try optimized(Self.mobileBlock)
    // Drop the reorder back to channels-first: the pooling then reads the block's NHWC output.
    let index = try #require(graph.nodes.firstIndex { $0.op == .reorder(.channelsFirst) })
    let reorder = graph.nodes[index]
    graph.replaceUses(of: reorder.output, with: reorder.inputs[0])
    graph.nodes.remove(at: index)
    #expect(throws: PassError.self) { try GraphVerifier.verify(graph, mode: .inference, after: "test") }
  }

  @Test func theVerifierRejectsReordersInTraining() throws {
    let graph = try optimized(Self.mobileBlock)
    #expect(throws: PassError.self) { try GraphVerifier.verify(graph, mode: .training, after: "test") }
  }
}
