/// Everything needed to resume training, stored as one safetensors file: parameters under their own
/// names (so other tools can load the weights), optimizer state under `__optimizer__/`, counters and
/// the random generator state under `__training__/`, and string metadata (spec hash, format version).
public struct Checkpoint: Sendable, Equatable {
  /// A named parameter tensor.
  public struct Parameter: Sendable, Equatable {
    public var shape: [Int]
    public var values: [Float]

    public init(shape: [Int], values: [Float]) {
      self.shape = shape
      self.values = values
    }
  }

  public static let optimizerPrefix = "__optimizer__/"
  public static let trainingPrefix = "__training__/"
  /// Written into the metadata so a reader can tell an nnc checkpoint from a plain weight file.
  public static let formatKey = "nnc.format"
  public static let formatVersion = "nnc-checkpoint-1"
  /// The nnc version that wrote the checkpoint (`NNCVersion.current`).
  public static let versionKey = "nnc_version"
  /// The class names by index, as a JSON array (image-folder data).
  public static let classesKey = "classes"

  public var parameters: [String: Parameter]
  /// `Optimizer.stateTensors()`; keys are tied to parameter order, which the spec hash pins down.
  public var optimizerState: [String: [Float]]
  public var optimizerStepCount: Int
  /// Number of completed epochs.
  public var epoch: Int
  /// `RandomGenerator.stateWords`, if the run's generator is saved.
  public var randomState: [UInt64]?
  public var metadata: [String: String]

  public init(
    parameters: [String: Parameter], optimizerState: [String: [Float]] = [:],
    optimizerStepCount: Int = 0, epoch: Int = 0, randomState: [UInt64]? = nil,
    metadata: [String: String] = [:]
  ) {
    self.parameters = parameters
    self.optimizerState = optimizerState
    self.optimizerStepCount = optimizerStepCount
    self.epoch = epoch
    self.randomState = randomState
    self.metadata = metadata
  }

  /// The checkpoint as a safetensors file; throws if a parameter's values do not fill its shape or
  /// a parameter name uses one of the reserved prefixes.
  public func file() throws -> SafeTensorsFile {
    var tensors: [String: SafeTensor] = [:]
    for (name, parameter) in parameters {
      guard !name.hasPrefix(Self.optimizerPrefix), !name.hasPrefix(Self.trainingPrefix) else {
        throw TrainError("parameter name '\(name)' uses a prefix reserved for checkpoints")
      }
      tensors[name] = try SafeTensor(parameter.values, shape: parameter.shape)
    }
    for (key, values) in optimizerState {
      tensors[Self.optimizerPrefix + key] = try SafeTensor(values)
    }
    tensors[Self.trainingPrefix + "optimizer_step"] = try SafeTensor([Int64(optimizerStepCount)])
    tensors[Self.trainingPrefix + "epoch"] = try SafeTensor([Int64(epoch)])
    if let randomState { tensors[Self.trainingPrefix + "rng_state"] = try SafeTensor(randomState) }
    var metadata = self.metadata
    metadata[Self.formatKey] = Self.formatVersion
    return SafeTensorsFile(tensors: tensors, metadata: metadata)
  }

  /// Reads a checkpoint back; a plain weight file (from nnc or elsewhere) yields its parameters with
  /// zero counters and no optimizer state, which is what initializing from pretrained weights needs.
  public init(file: SafeTensorsFile, path: String) throws {
    var parameters: [String: Parameter] = [:]
    var optimizerState: [String: [Float]] = [:]
    var counters: [String: SafeTensor] = [:]
    for (name, tensor) in file.tensors {
      if name.hasPrefix(Self.optimizerPrefix) {
        guard tensor.dtype == .F32 else {
          throw SafeTensorsError(
            file: path, message: "optimizer state '\(name)' must be F32, found \(tensor.dtype.rawValue)")
        }
        optimizerState[String(name.dropFirst(Self.optimizerPrefix.count))] = tensor.floats()
      } else if name.hasPrefix(Self.trainingPrefix) {
        counters[String(name.dropFirst(Self.trainingPrefix.count))] = tensor
      } else {
        parameters[name] = Parameter(shape: tensor.shape, values: tensor.floats())
      }
    }
    func counter(_ key: String) throws -> Int {
      guard let tensor = counters[key] else { return 0 }
      guard tensor.dtype == .I64, let value = try tensor.int64s().first, tensor.elementCount == 1,
        value >= 0
      else {
        throw SafeTensorsError(
          file: path, message: "'\(Self.trainingPrefix)\(key)' must be one non-negative I64")
      }
      return Int(value)
    }
    var randomState: [UInt64]?
    if let tensor = counters["rng_state"] {
      guard tensor.dtype == .U64, tensor.elementCount == 4 else {
        throw SafeTensorsError(
          file: path, message: "'\(Self.trainingPrefix)rng_state' must be 4 U64 words")
      }
      randomState = try tensor.uint64s()
    }
    var metadata = file.metadata
    metadata[Self.formatKey] = nil
    self.init(
      parameters: parameters, optimizerState: optimizerState,
      optimizerStepCount: try counter("optimizer_step"), epoch: try counter("epoch"),
      randomState: randomState, metadata: metadata)
  }

  /// Writes atomically (see `SafeTensorsFile.write(to:)`).
  public func write(to path: String) throws { try file().write(to: path) }

  /// Reads and validates a checkpoint file.
  public static func read(from path: String) throws -> Checkpoint {
    try Checkpoint(file: SafeTensorsFile.read(from: path), path: path)
  }
}
