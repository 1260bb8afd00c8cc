/// Zeros around every plane of an NCHW tensor: input [planes, height, width], output
/// [planes, top + height + bottom, left + width + right]. The backward pass crops.
public enum ZeroPadding2D {
  public static func forward(
    planes: Int, height: Int, width: Int, top: Int, bottom: Int, left: Int, right: Int,
    input: UnsafePointer<Float>, output: UnsafeMutablePointer<Float>
  ) {
    let outWidth = left + width + right
    let outPlane = (top + height + bottom) * outWidth
    Parallel.forEach(planes, workPerItem: outPlane) { plane in
      let source = input + plane * height * width
      let target = output + plane * outPlane
      target.update(repeating: 0, count: top * outWidth)
      for y in 0..<height {
        let row = target + (top + y) * outWidth
        row.update(repeating: 0, count: left)
        (row + left).update(from: source + y * width, count: width)
        (row + left + width).update(repeating: 0, count: right)
      }
      (target + (top + height) * outWidth).update(repeating: 0, count: bottom * outWidth)
    }
  }

  /// gradInput = the interior of gradOutput: the padding's zeros do not depend on the input.
  public static func backward(
    planes: Int, height: Int, width: Int, top: Int, bottom: Int, left: Int, right: Int,
    gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>
  ) {
    let outWidth = left + width + right
    let outPlane = (top + height + bottom) * outWidth
    Parallel.forEach(planes, workPerItem: height * width) { plane in
      let source = gradOutput + plane * outPlane + top * outWidth + left
      let target = gradInput + plane * height * width
      for y in 0..<height { (target + y * width).update(from: source + y * outWidth, count: width) }
    }
  }
}
