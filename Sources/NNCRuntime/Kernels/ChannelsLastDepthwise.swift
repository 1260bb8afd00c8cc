// Interim Swift kernel (lead's), to be replaced by the C kernel of branch nhwc-depthwise.
extension DepthwiseConv2D {
  static func channelsLastScratchCount(_ g: Conv2DGeometry) -> Int {
    g.kernelHeight * g.kernelWidth * g.outChannels
  }

  public static func forwardChannelsLast(
    _ g: Conv2DGeometry, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, activation: ActivationKind,
    scratch: UnsafeMutablePointer<Float>, instructionSet: DepthwiseInstructionSet = .best
  ) {
    let channels = g.outChannels
    let taps = g.kernelHeight * g.kernelWidth
    for c in 0..<channels { for t in 0..<taps { scratch[t * channels + c] = weight[c * taps + t] } }
    let tapWeights = UnsafePointer(scratch)
    Parallel.forEach(g.batch * g.outHeight, workPerItem: g.outWidth * channels * taps) { task in
      let (n, oy) = task.quotientAndRemainder(dividingBy: g.outHeight)
      let sampleIn = input + n * g.inHeight * g.inWidth * channels
      for ox in 0..<g.outWidth {
        let dst = output + ((n * g.outHeight + oy) * g.outWidth + ox) * channels
        @inline(__always) func run<Lanes: FloatLanes & ClampableLanes>(_ c: Int, _: Lanes.Type) {
          var sum = bias.map { Lanes.load($0 + c) } ?? .zero
          for ki in 0..<g.kernelHeight {
            let iy = oy * g.strideH - g.padTop + ki * g.dilationH
            if iy < 0 || iy >= g.inHeight { continue }
            for kj in 0..<g.kernelWidth {
              let ix = ox * g.strideW - g.padLeft + kj * g.dilationW
              if ix < 0 || ix >= g.inWidth { continue }
              let pixel = Lanes.load(sampleIn + (iy * g.inWidth + ix) * channels + c)
              let w = Lanes.load(tapWeights + (ki * g.kernelWidth + kj) * channels + c)
              sum = sum + pixel.scaled(by: w)
            }
          }
          sum.store(dst + c)
        }
        forEachLaneGroup(channels) { c, vector in
          if vector { run(c, SIMD8<Float>.self) } else { run(c, Float.self) }
        }
        channelsLastEpilogue(dst, channels: channels, scale: nil, bias: nil, activation: activation, shortcut: nil)
      }
    }
  }
}
