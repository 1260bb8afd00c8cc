import Testing

@testable import NNCSpec

@Test func countsTakeTheSingularForOneOnly() {
  #expect(counted(1, "sample") == "1 sample")
  #expect(counted(0, "sample") == "0 samples")
  #expect(counted(2, "layer") == "2 layers")
  #expect(counted(1, "class", plural: "classes") == "1 class")
  #expect(counted(3, "class", plural: "classes") == "3 classes")
}
