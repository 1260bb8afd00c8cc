import ArgumentParser
import Foundation
import NNCData
import NNCGraph
import NNCRuntime
import NNCSpec
import NNCTrain

/// Reports a run-time error (data, checkpoint, training) the way diagnostics are reported, and exits 1.
func fail(_ message: String) -> ExitCode {
  Console.standardError("error: \(message)\n")
  JSONErrorOutput.report(message: message)
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
    let data: LoadedData
    do {
      data = try RunPreparation.loadData(settings, configuration: configuration, graph: loaded.graph)
    } catch let error as TrainError {
      throw fail(error.message)
    } catch {
      throw fail("\(error)")
    }
    for warning in data.warnings {
      Console.standardError("warning: \(warning)\n")
    }
    do {
      configuration = try RunPreparation.check(
        data, graph: loaded.graph, configuration: configuration, specPath: options.spec)
    } catch let error as TrainError {
      throw fail(error.message)
    }
    return PreparedRun(loaded: loaded, configuration: configuration, data: data)
  }

  /// The training split as evaluation sees it (see `RunPreparation.evaluationTrainingSplit`).
  func evaluationTrainingSplit() throws -> Dataset {
    do {
      return try RunPreparation.evaluationTrainingSplit(data, configuration: configuration)
    } catch {
      throw fail("\(error)")
    }
  }
}

/// The spec's file name without its extension: `runs/<name>/` is the default run directory.
func specName(_ path: String) -> String {
  let file = URL(fileURLWithPath: path).deletingPathExtension().lastPathComponent
  return file.isEmpty ? "model" : file
}
