import Foundation
import SwiftProtobuf
import Testing

@testable import NNCTensorBoard

/// `nnc train --tensorboard`: the event files, parsed back with SwiftProtobuf, hold every value of
/// `history.jsonl` at its epoch.
@Suite struct TensorBoardTests {
  static let layers = """
        - flatten
        - dense: {units: 16, activation: relu}
        - dense: 10
    """

  /// Scalars of one run directory by tag and step, across its files in name order; a SessionLog START
  /// drops what earlier files logged from its step on, as TensorBoard's EventAccumulator does.
  static func scalars(in directory: URL) throws -> [String: [Int64: Float]] {
    let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).filter {
      $0.hasPrefix("events.out.tfevents.")
    }.sorted()
    var result: [String: [Int64: Float]] = [:]
    for name in names {
      let records = try TFRecord.records(in: Data(contentsOf: directory.appendingPathComponent(name)))
      for record in records {
        let event = try Tensorboard_Event(serializedBytes: record)
        if event.sessionLog.status == .start {
          for tag in result.keys { result[tag] = result[tag]!.filter { $0.key < event.step } }
        }
        for value in event.summary.value where value.value == .simpleValue(value.simpleValue) {
          result[value.tag, default: [:]][event.step] = value.simpleValue
        }
      }
    }
    return result
  }

  /// The history's values by key, per epoch.
  static func history(_ run: URL) throws -> [[String: Double]] {
    let text = try String(contentsOf: run.appendingPathComponent("history.jsonl"), encoding: .utf8)
    return try text.split(separator: "\n").map {
      try #require(JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Double])
    }
  }

  /// history.jsonl key -> (run, tag), as the README documents it.
  static func place(of key: String) -> (run: String, tag: String) {
    if key == "learning_rate" { return ("train", "epoch_learning_rate") }
    if key.hasPrefix("val_") { return ("validation", "epoch_" + key.dropFirst(4)) }
    return ("train", "epoch_" + key.dropFirst(6))
  }

  static func expectMatch(history: [[String: Double]], logs: URL) throws {
    let runs = [
      "train": try scalars(in: logs.appendingPathComponent("train")),
      "validation": try scalars(in: logs.appendingPathComponent("validation")),
    ]
    var checked = 0
    for record in history {
      let step = Int64(try #require(record["epoch"]))
      for (key, value) in record where key != "epoch" {
        let (run, tag) = place(of: key)
        #expect(runs[run]?[tag]?[step] == Float(value), "\(key) of epoch \(step)")
        checked += 1
      }
    }
    // Every logged scalar is one of the history's.
    let logged = runs.values.flatMap { $0.values.map(\.count) }.reduce(0, +)
    #expect(logged == checked)
    #expect(checked >= history.count * 5)
  }

  @Test func scalarsMatchTheHistoryAndResumeContinues() throws {
    let directory = try TrainingSupport.temporaryDirectory("tensorboard")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: Self.layers, train: "{epochs: 3, batch_size: 64, seed: 4}")
    let run = directory.appendingPathComponent("run")
    let logs = directory.appendingPathComponent("logs")
    let first = try NNCProcess.run([
      "train", spec, "--run-dir", run.path, "--epochs", "2", "--tensorboard", logs.path,
      "--tensorboard-histograms",
    ])
    #expect(first.status == 0, "\(first.stderr)")
    try Self.expectMatch(history: try Self.history(run), logs: logs)

    // The graph and a weight and gradient histogram of every parameter per epoch.
    let trainFile = try #require(
      try FileManager.default.contentsOfDirectory(atPath: logs.appendingPathComponent("train").path).first)
    let events = try TFRecord.records(in: Data(contentsOf: logs.appendingPathComponent("train/" + trainFile)))
      .map { try Tensorboard_Event(serializedBytes: $0) }
    let graphEvent = try #require(events.first { !$0.graphDef.isEmpty })
    let graph = try Tensorboard_GraphDef(serializedBytes: graphEvent.graphDef)
    #expect(graph.node.map(\.op) == ["input", "flatten", "dense", "relu", "dense"])
    let histogramTags = Set(
      events.flatMap(\.summary.value).filter { $0.value == .histo($0.histo) }.map(\.tag))
    #expect(
      histogramTags == [
        "weights/dense.weight", "weights/dense.bias", "weights/dense_1.weight",
        "weights/dense_1.bias", "gradients/dense.weight", "gradients/dense.bias", "gradients/dense_1.weight",
        "gradients/dense_1.bias",
      ])

    let resumed = try NNCProcess.run([
      "train", spec, "--run-dir", run.path, "--resume", "--tensorboard", logs.path,
    ])
    #expect(resumed.status == 0, "\(resumed.stderr)")
    let history = try Self.history(run)
    #expect(history.count == 3)
    try Self.expectMatch(history: history, logs: logs)
    let files = try FileManager.default.contentsOfDirectory(
      atPath: logs.appendingPathComponent("validation").path)
    #expect(files.count == 2)
  }

  @Test func specKeyIsRelativeToTheSpec() throws {
    let directory = try TrainingSupport.temporaryDirectory("tensorboard-spec")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(
      in: directory, layers: Self.layers, train: "{epochs: 1, batch_size: 64, tensorboard: tb}")
    let run = directory.appendingPathComponent("run")
    let result = try NNCProcess.run(["train", spec, "--run-dir", run.path])
    #expect(result.status == 0, "\(result.stderr)")
    try Self.expectMatch(history: try Self.history(run), logs: directory.appendingPathComponent("tb"))
  }

  @Test func unusableDirectoriesAndFlagsAreErrors() throws {
    let directory = try TrainingSupport.temporaryDirectory("tensorboard-errors")
    defer { try? FileManager.default.removeItem(at: directory) }
    let spec = try TrainingSupport.digitsSpec(in: directory, layers: Self.layers, train: "{epochs: 1}")
    let run = directory.appendingPathComponent("run")
    let histograms = try NNCProcess.run(["train", spec, "--run-dir", run.path, "--tensorboard-histograms"])
    #expect(histograms.status == 1)
    #expect(histograms.stderr.contains("--tensorboard-histograms needs --tensorboard DIR"))
    let blank = try NNCProcess.run(["train", spec, "--run-dir", run.path, "--tensorboard", ""])
    #expect(blank.status == 1)
    #expect(blank.stderr.contains("--tensorboard needs a directory"))
    let blocked = try NNCProcess.run([
      "train", spec, "--run-dir", run.path, "--tensorboard", "/dev/null/logs",
    ])
    #expect(blocked.status == 1)
    #expect(blocked.stderr.contains("error: cannot create the TensorBoard directory /dev/null/logs/train"))
  }
}
