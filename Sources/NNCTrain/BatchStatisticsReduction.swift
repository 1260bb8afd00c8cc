import NNCRuntime

extension Communicator {
  /// `train.sync_batchnorm`: sums batchnorm's per-channel statistics over the ranks. The kernels
  /// cannot throw, so a failed reduction ends every rank (as any other failure of a rank does).
  public func batchStatisticsReduction() -> BatchNorm.Reduction {
    { values in
      do {
        try self.sum(values)
      } catch {
        self.abort("sync_batchnorm: \(error)")
      }
    }
  }
}
