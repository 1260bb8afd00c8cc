import NNCSpec
import Testing

@testable import NNCGraph

@Test func passManagerSkipsDisabledPassesAndNoneWhenOff() throws {
  let graph = try lowered(convBatchNormReLU)
  let unoptimized = try PassManager.optimize(graph, mode: .inference, options: .none)
  #expect(mnemonics(unoptimized) == mnemonics(graph))
  #expect(!unoptimized.nodes.contains { $0.inPlace })
  let withoutFold = try PassManager.optimize(
    graph, mode: .inference, options: OptimizationOptions(disabledPasses: ["fold-batchnorm"]))
  #expect(mnemonics(withoutFold) == ["conv2d", "batchnorm", "relu", "flatten", "dense+relu", "dense"])
  #expect(withoutFold.nodes[2].inPlace)
  #expect(PassManager.passNames.contains("plan-memory"))
  #expect(!OptimizationOptions(disabledPasses: ["plan-memory"]).plansMemory)
  #expect(PassManager.passNames.contains("fuse-separable"))
  #expect(
    OptimizationOptions.all.fusesSeparableConvolutions && !OptimizationOptions.none.fusesSeparableConvolutions
  )
  #expect(!OptimizationOptions(disabledPasses: ["fuse-separable"]).fusesSeparableConvolutions)
}
