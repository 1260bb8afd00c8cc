/// The end of every convolution kernel: output[i] = activation(input[i] · scale + bias) over `count`
/// floats of one output channel; `input` may be `output`. A nil scale is 1 and a nil bias 0 (so
/// without a scale the result is input + bias exactly). The scale is a batchnorm folded in at
/// inference: applying it to the output costs nothing extra here, where scaling the weights would
/// cost a pass over them for every batch. The affine part, ReLU and ReLU6 are vectorized (ReLU6
/// with the comparisons of `min(max(x, 0), 6)`, so it rounds and treats NaN and -0 as
/// `ActivationKind.relu6` does); other activations run afterwards in place. Runs of 4 to 7 floats
/// past the last 8 (the 2x2 maps of MobileNetV2's last stage are 4 floats a channel) take one 4-lane
/// vector: every lane computes what the scalar code does, so the width changes no bits.
///
/// With a `shortcut` (a residual addition fused into the convolution in inference plans, aligned with
/// `output`), output[i] = activation(input[i] · scale + bias + shortcut[i]): the convolution's value is
/// rounded first, then the shortcut added, then the activation, linear or ReLU, as `Add.forward`
/// computes it (ReLU as `max(x, 0)`, so -0 becomes 0), so the bits equal the unfused nodes'.
@inline(__always)
func convolutionEpilogue(
  _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int, scale: Float?,
  bias: Float?, activation: ActivationKind, shortcut: UnsafePointer<Float>? = nil
) {
  if let shortcut {
    residualEpilogue(
      input, output, count: count, scale: scale, bias: bias, relu: activation == .relu, shortcut: shortcut)
    return
  }
  let affine = scale != nil || bias != nil
  let relu = activation == .relu
  let relu6 = activation == .relu6
  if affine || relu || relu6 {
    let (s, b) = (scale ?? 1, bias ?? 0)
    var i = 0
    while i &+ 8 <= count {
      var value = SIMD8<Float>.load(input + i)
      if affine { value = value * SIMD8(repeating: s) + SIMD8(repeating: b) }
      if relu { value = value.replacing(with: 0, where: value .< 0) }
      if relu6 {
        value = value.replacing(with: 0, where: value .<= 0)
        value = value.replacing(with: 6, where: value .> 6)
      }
      value.store(output + i)
      i &+= 8
    }
    if i &+ 4 <= count {
      var value = SIMD4<Float>.load(input + i)
      if affine { value = value * SIMD4(repeating: s) + SIMD4(repeating: b) }
      if relu { value = value.replacing(with: 0, where: value .< 0) }
      if relu6 {
        value = value.replacing(with: 0, where: value .<= 0)
        value = value.replacing(with: 6, where: value .> 6)
      }
      value.store(output + i)
      i &+= 4
    }
    while i < count {
      var value = input[i]
      if affine { value = value * s + b }
      if relu { value = max(value, 0) }
      if relu6 { value = min(max(value, 0), 6) }
      output[i] = value
      i &+= 1
    }
  } else if UnsafePointer(output) != input {
    output.update(from: input, count: count)
  }
  if !relu && !relu6 && activation != .linear {
    activation.forwardSerial(UnsafePointer(output), output, count: count)
  }
}

/// `convolutionEpilogue` with a shortcut (see there); the activation is linear or ReLU.
@inline(__always)
private func residualEpilogue(
  _ input: UnsafePointer<Float>, _ output: UnsafeMutablePointer<Float>, count: Int, scale: Float?,
  bias: Float?, relu: Bool, shortcut: UnsafePointer<Float>
) {
  let affine = scale != nil || bias != nil
  let (s, b) = (scale ?? 1, bias ?? 0)
  var i = 0
  while i &+ 8 <= count {
    var value = SIMD8<Float>.load(input + i)
    if affine { value = value * SIMD8(repeating: s) + SIMD8(repeating: b) }
    value = value + SIMD8<Float>.load(shortcut + i)
    if relu { value = value.replacing(with: 0, where: value .<= 0) }
    value.store(output + i)
    i &+= 8
  }
  while i < count {
    var value = input[i]
    if affine { value = value * s + b }
    value = value + shortcut[i]
    if relu { value = max(value, 0) }
    output[i] = value
    i &+= 1
  }
}

/// Copies `count` floats in 8- and 4-lane vectors, inline: the planes a tile copies are 4 to 64
/// floats, where a call to memmove per plane cost more than the copy.
@inline(__always)
func copyFloats(_ source: UnsafePointer<Float>, _ destination: UnsafeMutablePointer<Float>, count: Int) {
  var i = 0
  while i &+ 8 <= count {
    SIMD8<Float>.load(source + i).store(destination + i)
    i &+= 8
  }
  if i &+ 4 <= count {
    SIMD4<Float>.load(source + i).store(destination + i)
    i &+= 4
  }
  while i < count {
    destination[i] = source[i]
    i &+= 1
  }
}
