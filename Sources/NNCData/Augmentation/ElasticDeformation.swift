import NNCRandom

/// Elastic deformation (Simard, Steinkraus and Platt 2003): every pixel moves by a displacement
/// drawn uniformly from [-1, 1] per pixel and axis, smoothed by a gaussian of `sigma` pixels and
/// multiplied by `alpha`; borders repeat the nearest pixel.
enum ElasticDeformation {
  static func apply(
    _ sample: UnsafeMutableBufferPointer<Float>, _ shape: ImageShape, alpha: Double, sigma: Double,
    using generator: inout RandomGenerator
  ) {
    guard alpha != 0 else { return }
    var displacementX = (0..<shape.planeSize).map { _ in generator.nextUniform(-1, 1) }
    var displacementY = (0..<shape.planeSize).map { _ in generator.nextUniform(-1, 1) }
    GaussianBlur.blurPlane(&displacementX, height: shape.height, width: shape.width, sigma: sigma)
    GaussianBlur.blurPlane(&displacementY, height: shape.height, width: shape.width, sigma: sigma)
    warp(sample, shape, fill: Fill(.nearest)) { x, y in
      let index = y * shape.width + x
      return (
        Double(x) + alpha * Double(displacementX[index]), Double(y) + alpha * Double(displacementY[index])
      )
    }
  }
}
