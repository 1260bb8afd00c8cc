import Foundation
import NNCGraph
import NNCSpec
import NNCTrain
import SwiftProtobuf
import Testing

@testable import NNCTensorBoard

/// The event files of `TensorBoardLog`, read back with the TFRecord reader and SwiftProtobuf.
@Suite struct TensorBoardLogTests {
  static func graph() throws -> Graph {
    let text = """
      model:
        input: [1, 4, 4]
        layers:
          - conv2d: {filters: 2, kernel: 3, padding: same}
          - relu
          - flatten
          - dense: 3
      """
    let (spec, diagnostics) = SpecLoader.parse(text: text, path: "tiny.yaml")
    let parsed = try #require(spec, "\(diagnostics.map(\.message))")
    let result = Lowering.lower(parsed)
    return try #require(result.graph, "\(result.diagnostics.map(\.message))")
  }

  static func temporaryDirectory() throws -> String {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("nnc-tb-\(UUID().uuidString)")
      .path
    try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
    return path
  }

  /// Every event of a run directory, file by file in name order.
  static func events(in directory: String) throws -> [[Tensorboard_Event]] {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory).filter {
      $0.hasPrefix("events.out.tfevents.")
    }.sorted()
    return try names.map { name in
      try TFRecord.records(in: Data(contentsOf: URL(fileURLWithPath: directory + "/" + name))).map {
        try Tensorboard_Event(serializedBytes: $0)
      }
    }
  }

  static func record(epoch: Int, loss: Double, validation: Bool) -> EpochRecord {
    var record = EpochRecord(
      epoch: epoch, learning_rate: 0.01 / Double(epoch), train_loss: loss,
      train_accuracy: 0.5 + Double(epoch) / 10,
      val_loss: validation ? loss * 1.5 : nil, val_accuracy: validation ? 0.4 : nil)
    record.trainMetrics = ["f1_macro": 0.3]
    record.validationMetrics = validation ? ["f1_macro": 0.2, "log_loss": .nan] : [:]
    return record
  }

  static func scalars(_ events: [Tensorboard_Event]) -> [String: [Int64: Float]] {
    var result: [String: [Int64: Float]] = [:]
    for event in events {
      for value in event.summary.value where value.value == .simpleValue(value.simpleValue) {
        result[value.tag, default: [:]][event.step] = value.simpleValue
      }
    }
    return result
  }

  @Test func writesScalarsPerRunAndTheGraph() throws {
    let directory = try Self.temporaryDirectory()
    let graph = try Self.graph()
    let log = TensorBoardLog(directory: directory, histograms: false)
    try log.runStarted(startEpoch: 0, graph: graph)
    let records = [
      Self.record(epoch: 1, loss: 2.0, validation: true), Self.record(epoch: 2, loss: 1.0, validation: true),
    ]
    for record in records { try log.epochFinished(record, parameters: []) }
    log.runFinished()

    let trainFiles = try Self.events(in: log.trainDirectory)
    #expect(trainFiles.count == 1)
    let train = try #require(trainFiles.first)
    #expect(train.first?.fileVersion == "brain.Event:2")
    #expect(train.dropFirst().first?.sessionLog.status == .start)
    let graphEvent = try #require(train.first { $0.what == .graphDef($0.graphDef) })
    let definition = try Tensorboard_GraphDef(serializedBytes: graphEvent.graphDef)
    #expect(definition.node.map(\.name) == ["input"] + graph.nodes.map(\.name))
    #expect(definition.node.map(\.op) == ["input"] + graph.nodes.map(\.op.mnemonic))
    #expect(definition.node[1].input == ["input"])
    #expect(definition.node[2].input == [graph.nodes[0].name])
    let outputShape = try #require(definition.node.last?.attr["_output_shapes"]?.list.shape.first)
    #expect(outputShape.dim.map(\.size) == [-1, 3])

    let trainScalars = Self.scalars(train)
    let validationScalars = Self.scalars(try #require(try Self.events(in: log.validationDirectory).first))
    for record in records {
      let step = Int64(record.epoch)
      #expect(trainScalars["epoch_loss"]?[step] == Float(record.train_loss))
      #expect(trainScalars["epoch_accuracy"]?[step] == Float(record.train_accuracy))
      #expect(trainScalars["epoch_learning_rate"]?[step] == Float(record.learning_rate))
      #expect(trainScalars["epoch_f1_macro"]?[step] == Float(record.trainMetrics["f1_macro"]!))
      #expect(validationScalars["epoch_loss"]?[step] == Float(record.val_loss!))
      #expect(validationScalars["epoch_accuracy"]?[step] == Float(record.val_accuracy!))
      #expect(validationScalars["epoch_f1_macro"]?[step] == Float(record.validationMetrics["f1_macro"]!))
    }
    // A non-finite metric is left out, as history.jsonl leaves it out.
    #expect(validationScalars["epoch_log_loss"] == nil)
    #expect(
      Set(trainScalars.keys) == ["epoch_loss", "epoch_accuracy", "epoch_learning_rate", "epoch_f1_macro"])
  }

  @Test func histogramsOfWeightsAndGradients() throws {
    let directory = try Self.temporaryDirectory()
    let log = TensorBoardLog(directory: directory, histograms: true)
    #expect(log.wantsParameters)
    try log.runStarted(startEpoch: 0, graph: try Self.graph())
    let weights: [Float] = (0..<100).map { Float($0) / 10 - 3 }
    let parameters = [
      ParameterSnapshot(name: "dense.weight", values: weights, gradient: weights.map { $0 / 100 }),
      ParameterSnapshot(name: "dense.bias", values: [0.5, 0.5, 0.5], gradient: nil),
    ]
    try log.epochFinished(Self.record(epoch: 1, loss: 1, validation: false), parameters: parameters)
    log.runFinished()
    let events = try #require(try Self.events(in: log.trainDirectory).first)
    var histograms: [String: Tensorboard_HistogramProto] = [:]
    for value in events.flatMap(\.summary.value) where value.value == .histo(value.histo) {
      histograms[value.tag] = value.histo
    }
    #expect(Set(histograms.keys) == ["weights/dense.weight", "gradients/dense.weight", "weights/dense.bias"])
    let weight = try #require(histograms["weights/dense.weight"])
    #expect(weight.num == 100)
    #expect(weight.min == Double(weights.min()!))
    #expect(weight.max == Double(weights.max()!))
    #expect(weight.sum == weights.reduce(0) { $0 + Double($1) })
    #expect(weight.bucket.reduce(0, +) == 100)
    #expect(weight.bucketLimit.last == weight.max)
    #expect(zip(weight.bucketLimit, weight.bucketLimit.dropFirst()).allSatisfy { $0 < $1 })
    let bias = try #require(histograms["weights/dense.bias"])
    #expect(bias.bucket == [3])
    #expect(bias.bucketLimit == [0.5])
    // No validation values: no validation run.
    #expect(!FileManager.default.fileExists(atPath: log.validationDirectory))
  }

  /// A resumed run writes a new file that sorts after the first, starts with a SessionLog START at
  /// its first epoch (so TensorBoard drops what an interrupted run logged from there) and writes no
  /// second graph.
  @Test func resumeAppendsANewFile() throws {
    let directory = try Self.temporaryDirectory()
    let graph = try Self.graph()
    let first = TensorBoardLog(directory: directory, histograms: false)
    try first.runStarted(startEpoch: 0, graph: graph)
    for epoch in 1...3 {
      try first.epochFinished(Self.record(epoch: epoch, loss: 1, validation: true), parameters: [])
    }
    first.runFinished()
    let resumed = TensorBoardLog(directory: directory, histograms: false)
    try resumed.runStarted(startEpoch: 2, graph: graph)
    try resumed.epochFinished(Self.record(epoch: 3, loss: 0.5, validation: true), parameters: [])
    resumed.runFinished()

    for run in [first.trainDirectory, first.validationDirectory] {
      let files = try Self.events(in: run)
      #expect(files.count == 2)
      let restart = try #require(files.last?.dropFirst().first)
      #expect(restart.sessionLog.status == .start)
      #expect(restart.step == 3)
      #expect(Self.scalars(files[1])["epoch_loss"]?.keys.sorted() == [3])
    }
    let graphs = try Self.events(in: first.trainDirectory).joined().filter { !$0.graphDef.isEmpty }
    #expect(graphs.count == 1)
  }

  @Test func anUncreatableDirectoryIsNamed() throws {
    let directory = try Self.temporaryDirectory()
    let blocker = directory + "/file"
    try Data("x".utf8).write(to: URL(fileURLWithPath: blocker))
    let log = TensorBoardLog(directory: blocker + "/logs", histograms: false)
    let error = try #require(throws: TrainError.self) {
      try log.runStarted(startEpoch: 0, graph: try Self.graph())
    }
    #expect(error.message.contains("cannot create the TensorBoard directory \(blocker)/logs/train"))
  }
}

/// A failing write(2) (here: the file's descriptor replaced by /dev/full's) is an error naming the file.
@Test func aFailedWriteNamesTheEventFile() throws {
  let directory = try TensorBoardLogTests.temporaryDirectory()
  let writer = try EventFileWriter(directory: directory)
  let full = open("/dev/full", O_WRONLY)
  try #require(full >= 0)
  defer { close(full) }
  try #require(dup2(full, writer.descriptor) == writer.descriptor)
  var event = Tensorboard_Event()
  event.step = 1
  let error = try #require(throws: TrainError.self) { try writer.write(event) }
  #expect(error.message == "cannot write the TensorBoard event file \(writer.path): No space left on device")
}
