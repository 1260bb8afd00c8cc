import Testing

@testable import NNCRuntime

/// zero_padding2d and upsample inside a trained network: the convolutions before them receive their
/// gradients through both layers' backward passes, with the memory planner sharing buffers.
@Test(arguments: ["nearest", "bilinear"])
func paddingAndUpsampleTrainEndToEnd(mode: String) throws {
  try checkGradients(
    """
    model:
      input: [2, 4, 5]
      layers:
        - conv2d: {filters: 3, kernel: 3, padding: same, activation: tanh}
        - zero_padding2d: {padding: [[1, 0], [2, 1]]}
        - upsample: {scale: 2, mode: \(mode)}
        - conv2d: {filters: 2, kernel: 3, stride: 2}
        - zero_padding2d: 1
        - flatten
        - dense: 3
    """, batch: 3)
}
