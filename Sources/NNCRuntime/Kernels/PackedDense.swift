import CKernels

/// Dense layers in inference from weights packed once per run (`Sources/CKernels/dense_packed.c`):
/// OpenBLAS packs a dense layer's weights on every call and runs small batches' products at about
/// two thirds of its large-product rate (MobileNetV2's 1280 → 1000 head at batch 32: 1.24 against
/// 0.96 ms on one core, 1.06 on AVX2). An inference executor keeps the packed weights between
/// batches (`ExecutionPlan`'s kept weights) and packs them again only when the parameters change.
/// Every output sums its inputs in order and then adds its bias, so the thread count and the task
/// split never change a bit; the sums differ from OpenBLAS's by rounding.
enum PackedDense {
  /// Packed weights at most (16 MiB): a training executor holds a packed copy in its scratch for its
  /// evaluations, and VGG-16's 25,088 → 4,096 layer (103M weights) would add 411 MB; larger layers
  /// stay with OpenBLAS in every mode.
  static let maximumPackedWeights = 1 << 22

  /// Whether forward passes outside training run a layer of this size from packed weights.
  static func runs(inFeatures: Int, outFeatures: Int) -> Bool {
    packedWeightCount(inFeatures: inFeatures, outFeatures: outFeatures) <= maximumPackedWeights
  }

  /// Floats of the packed weights an executor keeps for a layer.
  static func packedWeightCount(inFeatures: Int, outFeatures: Int) -> Int {
    nnc_dense_packed_floats(Int32(inFeatures), Int32(outFeatures))
  }

  /// Floats of scratch a call needs: its inputs transposed into groups of samples.
  static func scratchCount(batch: Int, inFeatures: Int) -> Int {
    nnc_dense_columns_floats(Int32(batch), Int32(inFeatures))
  }

  /// Blocks of 16 outputs per task: about 64K weight floats, so a task is worth handing to a
  /// thread and a layer of a thousand outputs still makes 16 tasks; two at least, the AVX-512
  /// kernel's pair.
  static func blocksPerTask(inFeatures: Int) -> Int { max(2, 65_536 / (16 * max(1, inFeatures))) }

  /// output = activation(input · weightᵀ + bias) from `packed` (`packedWeightCount` floats), which
  /// is packed from `weight` first unless `packedIsCurrent`.
  static func forward(
    batch: Int, inFeatures: Int, outFeatures: Int, input: UnsafePointer<Float>, weight: UnsafePointer<Float>,
    bias: UnsafePointer<Float>?, output: UnsafeMutablePointer<Float>, activation: ActivationKind,
    packed: UnsafeMutablePointer<Float>, packedIsCurrent: Bool, scratch: UnsafeMutablePointer<Float>,
    isa: DepthwiseInstructionSet = .best, threads: Int = Parallel.threadCount
  ) {
    if !packedIsCurrent { nnc_dense_pack(Int32(inFeatures), Int32(outFeatures), weight, packed) }
    let groups = (batch + Int(NNC_DENSE_GROUP) - 1) / Int(NNC_DENSE_GROUP)
    Parallel.forEach(groups, workPerItem: Int(NNC_DENSE_GROUP) * inFeatures, threads: threads) { _, group in
      nnc_dense_columns(input, Int32(batch), Int32(inFeatures), Int32(group), 1, scratch)
    }
    let block = Int(NNC_DENSE_PACKED_BLOCK)
    let blocks = (outFeatures + block - 1) / block
    let perTask = blocksPerTask(inFeatures: inFeatures)
    let tasks = (blocks + perTask - 1) / perTask
    let code = isa.code
    Parallel.forEach(tasks, workPerItem: batch * perTask * block * inFeatures, threads: threads) {
      _, task in
      let first = task * perTask
      nnc_dense_packed_forward(
        code, packed, bias, scratch, Int32(batch), Int32(inFeatures), Int32(outFeatures), Int32(first),
        Int32(min(perTask, blocks - first)), output)
    }
    if activation != .linear {
      activation.forward(UnsafePointer(output), output, count: batch * outFeatures)
    }
  }
}
