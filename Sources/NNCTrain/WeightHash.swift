import NNCRuntime

extension ModelWeights {
  /// FNV-1a over the bits of every trainable parameter: equal on every rank of a data-parallel run
  /// exactly when their trainable weights are (the buffers of BatchNorm's running statistics, which
  /// each rank keeps from its own samples, are left out).
  public static func hash(of executor: Executor) -> UInt64 {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for slot in executor.parameterLayout where slot.info.trainable {
      for value in executor.parameter(slot) {
        hash = (hash ^ UInt64(value.bitPattern)) &* 0x100_0000_01b3
      }
    }
    return hash
  }
}
