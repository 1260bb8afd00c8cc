import NNCSpec
import Testing

@testable import NNCGraph

@Test func inPlaceActivationsRespectReadersAndTheBackwardPass() throws {
  let graph = try lowered(
    """
    model:
      input: [2, 4, 4]
      layers:
        - conv2d: {filters: 2, kernel: 3, padding: same, bias: false}
        - batchnorm
        - relu
        - sigmoid
        - relu
        - residual:
            layers: [relu]
        - flatten
        - relu
        - dense: 2
    """)
  let training = MakeActivationsInPlace().run(MakeFlattenViews().run(graph, mode: .training), mode: .training)
  let flags = training.nodes.map { "\($0.op.mnemonic)\($0.inPlace ? "!" : "")" }
  // relu after batchnorm: batchnorm's backward reads its input, not its output: in place.
  // sigmoid after relu: relu's backward reads relu's output: not in place. relu after sigmoid: same.
  // relu in the residual: its input has two readers: not in place. The relu after the flatten view:
  // the view's input is the add's output (one reader, read by nobody's backward): in place.
  #expect(
    flags == ["conv2d", "batchnorm", "relu!", "sigmoid", "relu", "relu", "add", "flatten!", "relu!", "dense"])
  let inference = MakeActivationsInPlace().run(graph, mode: .inference)
  #expect(
    inference.nodes.map(\.inPlace) == [false, false, true, true, true, false, false, false, true, false])
}
