/// `upsample`: every channel enlarged by an integer factor, [N,C,H,W] -> [N,C,H*scale,W*scale]. Nearest
/// repeats each pixel; bilinear samples at (dst + 0.5) / scale - 0.5 (PyTorch's
/// `align_corners=False`, ONNX `Resize` half_pixel). No parameters; the backward pass (the adjoint)
/// reads no value.
public struct UpsampleAttributes: Sendable, Equatable {
  public enum Mode: String, Sendable, CaseIterable {
    case nearest
    case bilinear
  }

  public var scale: Int
  public var mode: Mode

  public init(scale: Int, mode: Mode) {
    self.scale = scale
    self.mode = mode
  }

  var attributeText: String { "scale=\(scale), mode=\(mode.rawValue)" }

  /// Nearest copies; bilinear blends four neighbours (4 multiplies, 3 adds) per output value.
  func flops(output: Shape) -> Int {
    switch mode {
    case .nearest: return 0
    case .bilinear: return 7 * output.sampleCount
    }
  }
}

extension Lowerer {
  mutating func lowerUpsample(_ layer: LayerContext) -> Flow? {
    guard let (channels, height, width) = requireImage(layer) else { return nil }
    let scale = layer.arguments.int("scale") ?? 2
    let mode = UpsampleAttributes.Mode(rawValue: layer.arguments.string("mode") ?? "nearest") ?? .nearest
    return emit(
      .upsample(UpsampleAttributes(scale: scale, mode: mode)), layer,
      shape: Shape(batchOf: [channels, height * scale, width * scale]), keepsUnits: true)
  }
}
