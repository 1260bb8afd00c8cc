import Testing

@testable import NNCGraph

@Test func shapeDescriptionShowsSymbolicBatch() {
  let shape = Shape(batchOf: [3, 32, 32])
  #expect(shape.description == "[N,3,32,32]")
  #expect(shape.sampleCount == 3 * 32 * 32)
}
