import NNCSpec
import Testing

@testable import NNCGraph

@Test func verifierRejectsBrokenGraphs() throws {
  let graph = try lowered(convBatchNormReLU)
  var useBeforeDefinition = graph
  useBeforeDefinition.nodes.swapAt(0, 1)
  #expect(throws: PassError.self) {
    try GraphVerifier.verify(useBeforeDefinition, mode: .training, after: "t")
  }
  var duplicated = graph
  duplicated.nodes[1].parameters[0].name = duplicated.nodes[0].parameters[0].name
  #expect(throws: PassError.self) { try GraphVerifier.verify(duplicated, mode: .training, after: "t") }
  var badInPlace = graph
  badInPlace.nodes[0].inPlace = true
  #expect(throws: PassError.self) { try GraphVerifier.verify(badInPlace, mode: .training, after: "t") }
}
