import NNCSpec
import Testing

@testable import NNCGraph

@Test(arguments: GraphMode.allCases)
func flattenBecomesAViewOfItsInputAndNothingElseDoes(_ mode: GraphMode) throws {
  let graph = try lowered(convBatchNormReLU)
  let viewed = MakeFlattenViews().run(graph, mode: mode)
  let flags = viewed.nodes.map { "\($0.op.mnemonic)\($0.inPlace ? "!" : "")" }
  #expect(flags == ["conv2d", "batchnorm", "relu", "dropout", "flatten!", "dense", "relu", "dense"])
  // A view changes no shape, op or parameter.
  #expect(viewed.nodes.map(\.op) == graph.nodes.map(\.op))
  #expect(parameterNames(viewed) == parameterNames(graph))
}
