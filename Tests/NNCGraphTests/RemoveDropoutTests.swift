import NNCSpec
import Testing

@testable import NNCGraph

@Test func removeDropoutAtInferenceAndRateZeroInTraining() throws {
  let graph = try lowered(
    """
    model:
      input: [4]
      layers:
        - dropout: 0.5
        - dense: 3
        - dropout: 0
    """)
  #expect(mnemonics(RemoveDropout().run(graph, mode: .training)) == ["dropout", "dense"])
  let inference = RemoveDropout().run(graph, mode: .inference)
  #expect(mnemonics(inference) == ["dense"])
  #expect(inference.nodes[0].inputs == [inference.input])
  #expect(inference.output == inference.nodes[0].output)
}
