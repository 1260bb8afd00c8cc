/// Layers that move or drop values without computing: `flatten` (a view once optimized) and
/// `dropout` (the identity at inference).
extension Lowerer {
  /// [N,C,H,W] -> [N,C*H*W].
  mutating func lowerFlatten(_ layer: LayerContext) -> Flow? {
    emit(.flatten, layer, shape: Shape(batchOf: [layer.input.shape.sampleCount]))
  }

  mutating func lowerDropout(_ layer: LayerContext) -> Flow? {
    emit(
      .dropout(rate: layer.arguments.double("rate") ?? 0), layer, shape: layer.input.shape, keepsUnits: true)
  }
}
