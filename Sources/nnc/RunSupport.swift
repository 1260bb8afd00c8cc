import ArgumentParser
import Foundation
import NNCData
import NNCGraph
import NNCRandom
import NNCRuntime
import NNCSpec
import NNCTrain

/// Reports a run-time error (data, checkpoint, training) the way diagnostics are reported, and exits 1.
func fail(_ message: String) -> ExitCode {
  FileHandle.standardError.write(Data("error: \(message)\n".utf8))
  return ExitCode(1)
}

/// The spec, graph, configuration and data of a command that runs a model.
struct PreparedRun {
  var loaded: LoadedSpec
  var configuration: TrainingConfiguration
  var data: LoadedData

  var graph: Graph { loaded.graph }

  /// Loads the spec and its data; every problem is printed and becomes exit status 1.
  static func prepare(_ options: SpecOptions, command: String) throws -> PreparedRun {
    let loaded = try SpecPipeline.load(options)
    var configuration = TrainingConfiguration(spec: loaded.spec)
    guard let settings = configuration.data else {
      throw fail("\(options.spec): 'nnc \(command)' needs a 'data' section")
    }
    var data: LoadedData
    do {
      var generator = RandomGenerator(seed: UInt64(configuration.seed)).derived(2)
      data = try RunComponents.loadData(
        settings, inputShape: loaded.graph.inputShape.sample, using: &generator)
      try RunComponents.normalizeEvaluationSplits(configuration.augmentation, &data)
    } catch let error as TrainError {
      throw fail(error.message)
    } catch let error as DataError {
      throw fail("\(error)")
    } catch {
      throw fail("\(error)")
    }
    for warning in data.warnings {
      FileHandle.standardError.write(Data("warning: \(warning)\n".utf8))
    }
    let inputCount = loaded.graph.inputShape.sampleCount
    let sampleShape = data.train.sampleShape
    guard data.train.sampleSize == inputCount else {
      throw fail(
        "\(data.train.source): samples have shape \(sampleShape) (\(data.train.sampleSize) values) but the model "
          + "input \(loaded.graph.inputShape) needs \(inputCount) values per sample")
    }
    let outputs = loaded.graph.outputShape.sampleCount
    let classes = data.train.classes
    if configuration.loss.name != "mse", outputs != classes, !(outputs == 1 && classes <= 2) {
      throw fail(
        "\(data.train.source): the data has \(classes) classes but the model outputs \(outputs) units; "
          + "set data.classes or change the last layer")
    }
    if let positive = MetricReport.positiveClass(configuration.metrics), positive >= max(classes, 2) {
      throw fail(
        "\(options.spec): positive_class \(positive) is not one of the data's \(classes) classes "
          + "(0...\(max(classes, 2) - 1))")
    }
    if configuration.optimizer.name == "gd" {
      // Gradient descent proper: every step sees the whole training set.
      configuration.batchSize = data.train.count
    }
    return PreparedRun(loaded: loaded, configuration: configuration, data: data)
  }

  /// The training split as evaluation sees it: with the augment section's final `normalize` (the
  /// other splits get it when loaded; training applies it after augmenting).
  func evaluationTrainingSplit() throws -> Dataset {
    var train = data.train
    guard let normalization = configuration.augmentation?.normalization else { return train }
    do {
      try train.normalize(normalization)
    } catch {
      throw fail("\(error)")
    }
    return train
  }

  /// Identifies the model architecture (not the training settings), so a checkpoint is only resumed
  /// into the model that wrote it.
  var specHash: String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in IRPrinter.print(graph, locations: false).utf8 {
      hash ^= UInt64(byte)
      hash &*= 0x0000_0100_0000_01b3
    }
    return String(hash, radix: 16)
  }
}

/// The spec's file name without its extension: `runs/<name>/` is the default run directory.
func specName(_ path: String) -> String {
  let file = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
  return file.isEmpty ? "model" : file
}

func jsonLine<T: Encodable>(_ value: T) -> String {
  let encoder = JSONEncoder()
  encoder.outputFormatting = [.sortedKeys]
  return (try? String(decoding: encoder.encode(value), as: UTF8.self)) ?? "{}"
}
