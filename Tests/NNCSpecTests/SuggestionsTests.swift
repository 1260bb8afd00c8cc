import Testing

@testable import NNCSpec

@Test func suggestsCloseWords() {
  #expect(Suggestions.closest(to: "dnese", in: ["dense", "dropout"]) == "dense")
  #expect(Suggestions.closest(to: "conv2", in: ["conv2d", "dense"]) == "conv2d")
  #expect(Suggestions.closest(to: "batch_norm", in: ["batchnorm", "dense"]) == "batchnorm")
  #expect(Suggestions.closest(to: "zzzzzz", in: ["dense", "flatten"]) == nil)
}
