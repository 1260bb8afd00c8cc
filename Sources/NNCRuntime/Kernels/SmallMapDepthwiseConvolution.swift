import CKernels

/// Depthwise 3x3 layers on the smallest maps (2x2 and 4x4 at stride 1, 4x4 → 2x2 and, backward,
/// 8x8 → 4x4 at stride 2; a multiplier of 1) by vectors over 16 channels, and on 2x2 maps over four
/// channels' planes as they lie in memory (`Sources/CKernels/depthwise_small_maps.c`,
/// `depthwise_small_maps_quads.h`). There the flat kernels' vectors over pixels spent
/// most of their work on shuffles and padded taps, and kept a weight-gradient accumulator per pixel
/// lane in memory. `Benchmarks/depthwise_small_maps.c`, two threads with the data out of cache
/// (MobileNetV2's shapes at 64x64 input, batch 32, AVX-512 Zen 4), µs a pass, flat → small maps:
/// backward 384x4x4 227 → 115, 960x2x2 194 → 71, 576x2x2 stride 2 276 → 132; forward 134 → 49,
/// 90 → 43 and 110 → 68.
///
/// Tasks are groups of `smallMapSamplesPerTask` samples over all channels, split into channel parts
/// only when the batch gives fewer than `smallMapMinimumTasks` groups, so that each task streams its
/// samples' planes in order. The output and the input gradient are the flat kernels' bits; the
/// weight gradient sums each group's samples in order, pixel by pixel, then the groups in order: the
/// groups depend on the batch alone, so no thread count changes a bit.
extension DepthwiseConv2D {
  static let smallMapSamplesPerTask = 4
  static let smallMapMinimumTasks = 8

  /// Whether `backward` (or, with `forward`, `forward`) runs `g` by the small-map kernels. 8x8 → 4x4
  /// at stride 2 runs its backward pass only there: MobileNetV2's 192-channel layer 0.195 → 0.133 ms
  /// a step, its forward pass 0.036 → 0.059 ms (the flat kernels' register variant keeps it).
  static func runsSmallMaps(_ g: Conv2DGeometry, forward: Bool = false) -> Bool {
    guard g.outChannels == g.inChannels else { return false }
    var shape = g.planeShape
    return nnc_depthwise_small_maps_runs(&shape) != 0 && (!forward || g.inHeight <= 4)
  }

  /// Sample groups and channel parts (whole blocks of 16) of a pass over `g`.
  private struct SmallMapTasks {
    let groups: Int
    let parts: Int
    let channelsPerPart: Int

    init(_ g: Conv2DGeometry) {
      groups = (g.batch + smallMapSamplesPerTask - 1) / smallMapSamplesPerTask
      let blocks = (g.outChannels + 15) / 16
      let wanted = min(blocks, max(1, (smallMapMinimumTasks + groups - 1) / groups))
      channelsPerPart = (blocks + wanted - 1) / wanted * 16
      parts = (g.outChannels + channelsPerPart - 1) / channelsPerPart
    }

    var count: Int { groups * parts }

    /// Task `task`'s first sample and sample count, first channel and channel count.
    func slice(_ task: Int, of g: Conv2DGeometry) -> (sample: Int, samples: Int, first: Int, channels: Int) {
      let (group, part) = task.quotientAndRemainder(dividingBy: parts)
      let (sample, first) = (group * smallMapSamplesPerTask, part * channelsPerPart)
      return (
        sample, min(smallMapSamplesPerTask, g.batch - sample), first,
        min(channelsPerPart, g.outChannels - first)
      )
    }
  }

  /// Floats of the kernels as the small-map kernels read them, with room to align them to 64 bytes.
  private static func smallMapLaneSlot(_ g: Conv2DGeometry) -> Int {
    smallMapLaneOffset(g, channel: g.outChannels) + 16
  }

  /// Floats of the kernels' lanes before channel `channel`'s (a multiple of 16, or the channel count).
  private static func smallMapLaneOffset(_ g: Conv2DGeometry, channel: Int) -> Int {
    var shape = g.planeShape
    return nnc_depthwise_small_maps_weight_floats(&shape, Int32(channel))
  }

  /// Floats of one sample group's tap sums, in the kernels' lane layout.
  private static func smallMapSumCount(_ g: Conv2DGeometry) -> Int {
    nnc_depthwise_small_maps_sum_floats(Int32(g.outChannels))
  }

  /// Scratch floats of the small-map kernels for `g` (its batch or any smaller): the kernels' lanes,
  /// then each sample group's tap sums.
  static func smallMapScratchCount(_ g: Conv2DGeometry) -> Int {
    smallMapLaneSlot(g) + SmallMapTasks(g).groups * smallMapSumCount(g)
  }

  /// Runs `body` with the kernels' lanes (written here) and room for the groups' tap sums, in
  /// `scratch` or, without it (a caller with no plan, such as a kernel test), allocated for the call.
  private static func withSmallMapBuffers(
    _ g: Conv2DGeometry, _ isa: Int32, backward: Bool, weight: UnsafePointer<Float>,
    scratch: UnsafeMutablePointer<Float>?,
    _ body: (_ lanes: UnsafePointer<Float>, _ sums: UnsafeMutablePointer<Float>) -> Void
  ) {
    let owned = scratch == nil ? UnsafeMutablePointer<Float>.allocate(capacity: smallMapScratchCount(g)) : nil
    defer { owned?.deallocate() }
    let base = scratch ?? owned!
    let lanes = UnsafeMutablePointer<Float>(bitPattern: (Int(bitPattern: base) + 63) / 64 * 64)!
    var shape = g.planeShape
    nnc_depthwise_small_maps_weights(isa, &shape, weight, Int32(g.outChannels), backward ? 1 : 0, lanes)
    body(UnsafePointer(lanes), base + smallMapLaneSlot(g))
  }

  static func forwardSmallMaps(
    _ g: Conv2DGeometry, _ isa: Int32, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, activation: ActivationKind,
    scratch: UnsafeMutablePointer<Float>?
  ) {
    let (inPlane, outPlane) = (g.inHeight * g.inWidth, g.outHeight * g.outWidth)
    let (inStride, outStride) = (g.inChannels * inPlane, g.outChannels * outPlane)
    let tasks = SmallMapTasks(g)
    withSmallMapBuffers(g, isa, backward: false, weight: weight, scratch: scratch) { lanes, _ in
      withUnsafePointer(to: g.planeShape) { shape in
        Parallel.forEach(
          tasks.count, workPerItem: smallMapSamplesPerTask * tasks.channelsPerPart * outPlane * 9
        ) { task in
          let (n, samples, first, count) = tasks.slice(task, of: g)
          let dst = output + n * outStride + first * outPlane
          nnc_depthwise_small_maps_forward(
            isa, shape, input + n * inStride + first * inPlane, lanes + smallMapLaneOffset(g, channel: first),
            bias.map { $0 + first },
            Int32(count), Int32(samples), inStride, outStride, dst)
          if activation != .linear {
            for m in 0..<samples {
              let planes = dst + m * outStride
              convolutionEpilogue(
                planes, planes, count: count * outPlane, scale: nil, bias: nil, activation: activation)
            }
          }
        }
      }
    }
  }

  static func backwardSmallMaps(
    _ g: Conv2DGeometry, _ isa: Int32, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    gradOutput: UnsafePointer<Float>, gradInput: UnsafeMutablePointer<Float>?,
    gradWeight: UnsafeMutablePointer<Float>?, scratch: UnsafeMutablePointer<Float>?
  ) {
    guard gradInput != nil || gradWeight != nil else { return }
    let (inPlane, outPlane) = (g.inHeight * g.inWidth, g.outHeight * g.outWidth)
    let (inStride, outStride) = (g.inChannels * inPlane, g.outChannels * outPlane)
    let tasks = SmallMapTasks(g)
    withSmallMapBuffers(g, isa, backward: true, weight: weight, scratch: scratch) { lanes, sums in
      withUnsafePointer(to: g.planeShape) { shape in
        Parallel.forEach(
          tasks.count, workPerItem: 2 * smallMapSamplesPerTask * tasks.channelsPerPart * outPlane * 9
        ) { task in
          let (n, samples, first, count) = tasks.slice(task, of: g)
          let group = n / smallMapSamplesPerTask
          nnc_depthwise_small_maps_backward(
            isa, shape, input + n * inStride + first * inPlane, gradOutput + n * outStride + first * outPlane,
            lanes + smallMapLaneOffset(g, channel: first), Int32(count), Int32(samples), inStride, outStride,
            gradInput.map { $0 + n * inStride + first * inPlane },
            gradWeight == nil ? nil : sums + group * smallMapSumCount(g) + first * 9)
        }
      }
      guard let gradWeight else { return }
      // A vector a tap and block, transposed into the weights' order: scattered one value at a time,
      // MobileNetV2's small-map backward passes took 10–15 % longer (training step, two threads:
      // 960x2x2 0.245 → 0.21 ms, 576x4x4 0.28 → 0.24, 384x4x4 0.395 → 0.36).
      nnc_depthwise_small_maps_add_sums(
        isa, sums, Int32(tasks.groups), smallMapSumCount(g), Int32(g.outChannels), gradWeight)
    }
  }
}
