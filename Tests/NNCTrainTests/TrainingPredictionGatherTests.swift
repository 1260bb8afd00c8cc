import NNCData
import Testing

@testable import NNCTrain

/// The training predictions of an epoch under mpirun: each rank logs its part of every global
/// batch; gathered and interleaved batch by batch they are the log of one process.
@Suite struct TrainingPredictionGatherTests {
  /// A log of `samples` samples, batch by batch (classification rows of 3 classes and regression
  /// rows of 2 targets, from the sample's position in the epoch).
  static func log(batches: [[Int]]) -> PredictionLog {
    var log = PredictionLog()
    for batch in batches {
      for sample in batch {
        log.labels.append(Int32(sample % 3))
        log.predictions.append(Int32((sample * 7) % 3))
        log.probabilities += [0.1, 0.3, 0.6].map { $0 + Float(sample) }
        log.targets += [Float(sample), -Float(sample)]
        log.outputs += [Float(sample) * 0.5, 1]
      }
      log.endBatch()
    }
    return log
  }

  @Test(arguments: [2, 3])
  func ranksInterleaveToTheLogOfOneProcess(ranks: Int) throws {
    // 23 samples in batches of 6: the last batch of 5 splits unevenly.
    let batches = stride(from: 0, to: 23, by: 6).map { Array($0..<min($0 + 6, 23)) }
    let whole = Self.log(batches: batches)
    let shards = try (0..<ranks).map { rank in
      let part = BatchPart(index: rank, count: ranks)
      let bytes = Self.log(batches: batches.map { Array($0[part.range(ofBatchSized: $0.count)]) }).encoded()
      return try PredictionLog(encoded: bytes)
    }
    let merged = try PredictionLog.interleavingBatches(of: shards)
    #expect(merged.labels == whole.labels)
    #expect(merged.predictions == whole.predictions)
    #expect(merged.probabilities == whole.probabilities)
    #expect(merged.targets == whole.targets)
    #expect(merged.outputs == whole.outputs)
    #expect(merged.batchEnds == whole.batchEnds)
    // Appending the shards instead (as sharded validation does) is another order: the test can fail.
    var appended = PredictionLog()
    for shard in shards { appended.append(shard) }
    #expect(appended.labels.count == whole.labels.count && appended.probabilities != whole.probabilities)
  }

  @Test func shardsOfDifferentBatchCountsAreRefused() throws {
    let shards = [Self.log(batches: [[0, 1], [2]]), Self.log(batches: [[3]])]
    #expect(throws: TrainError.self) { try PredictionLog.interleavingBatches(of: shards) }
    var bytes = Self.log(batches: [[0, 1]]).encoded()
    bytes.removeLast()
    #expect(throws: TrainError.self) { try PredictionLog(encoded: bytes) }
  }
}
