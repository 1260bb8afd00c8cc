/// The end of every convolution kernel: output[i] = activation(input[i] · scale + bias) over `count`
/// floats of one output channel; `input` may be `output`. A nil scale is 1 and a nil bias 0 (so
/// without a scale the result is input + bias exactly). The scale is a batchnorm folded in at
/// inference: applying it to the output costs nothing extra here, where scaling the weights would
/// cost a pass over them for every batch. The affine part, ReLU and ReLU6 are vectorized (ReLU6
/// with the comparisons of `min(max(x, 0), 6)`, so it rounds and treats NaN and -0 as
/// `ActivationKind.relu6` does); other activations run afterwards in place.
@inline(__always)
func convolutionEpilogue(
  _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int, scale: Float?,
  bias: Float?, activation: ActivationKind
) {
  let affine = scale != nil || bias != nil
  let relu = activation == .relu
  let relu6 = activation == .relu6
  if affine || relu || relu6 {
    let (s, b) = (scale ?? 1, bias ?? 0)
    forEachLaneGroup(count) { i, vector in
      if vector {
        var value = SIMD8<Float>.load(input + i)
        if affine { value = value * SIMD8(repeating: s) + SIMD8(repeating: b) }
        if relu { value = value.replacing(with: 0, where: value .< 0) }
        if relu6 {
          value = value.replacing(with: 0, where: value .<= 0)
          value = value.replacing(with: 6, where: value .> 6)
        }
        value.store(output + i)
      } else {
        var value = input[i]
        if affine { value = value * s + b }
        if relu { value = max(value, 0) }
        if relu6 { value = min(max(value, 0), 6) }
        output[i] = value
      }
    }
  } else if UnsafePointer(output) != input {
    output.update(from: input, count: count)
  }
  if !relu && !relu6 && activation != .linear {
    activation.forwardSerial(UnsafePointer(output), output, count: count)
  }
}
