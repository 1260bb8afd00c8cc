import NNCData
import NNCRandom
import NNCRuntime

/// Filling an executor's parameters: from their initializers, or from a checkpoint. Training and
/// evaluation share these.
public enum ModelWeights {
  /// Fills every parameter with its initializer, from the seed, as training does.
  public static func initialize(_ executor: Executor, seed: UInt64) throws {
    executor.parametersChanged()
    var generator = RandomGenerator(seed: seed).derived(1)
    for slot in executor.parameterLayout {
      try RunComponents.initializer(slot.info.initializer).fill(
        executor.parameter(slot), fanIn: slot.info.fanIn, fanOut: slot.info.fanOut, generator: &generator)
    }
  }

  /// Copies a checkpoint's tensors into an executor, naming any tensor that is missing or misshapen.
  public static func load(_ checkpoint: Checkpoint, into executor: Executor, path: String) throws {
    executor.parametersChanged()
    for slot in executor.parameterLayout {
      guard let saved = checkpoint.parameters[slot.info.name] else {
        throw TrainError("\(path): the checkpoint has no tensor '\(slot.info.name)' \(slot.info.shape)")
      }
      guard saved.shape == slot.info.shape, saved.values.count == slot.info.count else {
        throw TrainError(
          "\(path): tensor '\(slot.info.name)' has shape \(saved.shape) but the model needs \(slot.info.shape)"
        )
      }
      let buffer = executor.parameter(slot)
      saved.values.withUnsafeBufferPointer {
        buffer.baseAddress!.update(from: $0.baseAddress!, count: $0.count)
      }
    }
  }

  /// The executor's parameters by name, as checkpoint tensors.
  public static func parameters(of executor: Executor) -> [String: Checkpoint.Parameter] {
    var parameters: [String: Checkpoint.Parameter] = [:]
    for slot in executor.parameterLayout {
      parameters[slot.info.name] = Checkpoint.Parameter(
        shape: slot.info.shape, values: Array(executor.parameter(slot)))
    }
    return parameters
  }

  /// Refuses a checkpoint whose recorded class names differ from the data's (an image folder whose
  /// classes changed would silently swap labels).
  public static func checkClassNames(_ checkpoint: Checkpoint, against dataset: Dataset, path: String)
    throws
  {
    guard let saved = checkpoint.metadata["classes"], let names = dataset.classNames else { return }
    let current = RunFiles.classNamesJSON(names)
    guard saved == current else {
      throw TrainError(
        "\(path): the checkpoint was trained on the classes \(saved), but \(dataset.source) has \(current)")
    }
  }
}
