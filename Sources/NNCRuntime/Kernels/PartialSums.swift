/// Lane i: 0 + parts[0][i] + parts[1][i] + … in part order, for the 16 floats at `offset` of each
/// of `parts` partial sums `stride` floats apart: the order a scalar loop over the parts adds them
/// in, so the bits do not depend on the vector width (the depthwise kernels' per-task weight
/// gradients, summed over the tasks of a fixed split).
@inline(__always)
func orderedPartialSum(
  _ sums: UnsafePointer<Float>, parts: Int, stride: Int, offset: Int
) -> SIMD16<Float> {
  var total = SIMD16<Float>(repeating: 0)
  for part in 0..<parts {
    total += UnsafeRawPointer(sums + part * stride + offset).loadUnaligned(as: SIMD16<Float>.self)
  }
  return total
}

/// target[i] += Σ over the parts in order of sums[part · count + i], for i < count: 16 at a time
/// (a scalar loop over MobileNetV2's per-sample weight gradients, 32 parts of up to 1,728 weights,
/// cost up to a fifth of a depthwise backward pass).
func addPartialSums(
  _ sums: UnsafePointer<Float>, parts: Int, count: Int, into target: UnsafeMutablePointer<Float>
) {
  var index = 0
  while index + 16 <= count {
    let total = orderedPartialSum(sums, parts: parts, stride: count, offset: index)
    let sum = UnsafeRawPointer(target + index).loadUnaligned(as: SIMD16<Float>.self) + total
    UnsafeMutableRawPointer(target + index).storeBytes(of: sum, as: SIMD16<Float>.self)
    index += 16
  }
  for tail in index..<count {
    var total: Float = 0
    for part in 0..<parts { total += sums[part * count + tail] }
    target[tail] += total
  }
}
