import ArgumentParser
import Foundation
import NNCData
import NNCGraph
import NNCONNX
import NNCSpec
import NNCTrain

struct ExportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "export",
    abstract: "Write a model and its weights as an ONNX file.",
    discussion: """
      Writes the inference graph (dropout removed, batchnorm folded into the layer before it unless \
      --keep-batchnorm) with one node per layer, named as nnc names it. Without --checkpoint, the \
      weights of the spec's train.init, else its seeded initial weights.
      """
  )

  /// `--batch`: a fixed batch size, or `dynamic`.
  enum BatchSize: ExpressibleByArgument, Equatable {
    case dynamic
    case fixed(Int)

    init?(argument: String) {
      if argument == "dynamic" {
        self = .dynamic
      } else if let size = Int(argument) {
        self = .fixed(size)
      } else {
        return nil
      }
    }
  }

  @OptionGroup var specOptions: SpecOptions

  @Option(help: "The checkpoint (.safetensors) whose weights to export.")
  var checkpoint: String?

  @Option(name: .shortAndLong, help: "The ONNX file to write (default: <spec name>.onnx).")
  var output: String?

  @Option(help: "The ONNX opset, 13 to 21.")
  var opset: Int = ONNXExportOptions.defaultOpset

  @Option(help: ArgumentHelp("The batch dimension: a size, or dynamic.", valueName: "N|dynamic"))
  var batch: BatchSize = .dynamic

  @Flag(help: "Keep batchnorm as BatchNormalization nodes instead of folding it into the layer before it.")
  var keepBatchnorm = false

  func validate() throws {
    let range = ONNXExportOptions.supportedOpsets
    guard range.contains(opset) else {
      throw ValidationError(
        "opset \(opset) is not supported: nnc exports opsets \(range.lowerBound) to \(range.upperBound) "
          + "(13 is the first whose Softmax normalizes one axis)")
    }
    if case .fixed(let size) = batch, size < 1 {
      throw ValidationError("--batch must be a positive size or 'dynamic', found \(size)")
    }
  }

  func run() throws {
    SignalHandling.installExitAtOnce()
    let model = try InferenceModel.load(
      SpecPipeline.load(specOptions), specPath: specOptions.spec, checkpoint: checkpoint, maxBatch: 1,
      optimization: OptimizationOptions(enabled: false),
      command: "export")
    let graph = model.graph
    let name = specName(specOptions.spec)
    var renamed = graph
    renamed.name = name
    let weights = ModelWeights.parameters(of: model.executor).mapValues(\.values)
    let options = ONNXExportOptions(
      opset: opset, batch: batch == .dynamic ? .dynamic : .fixed(fixedBatch), keepBatchNorm: keepBatchnorm,
      outputActivation: outputActivation(model), metadata: metadata(model, name: name),
      producerVersion: NNCVersion.current)
    let onnx: Onnx_ModelProto
    do {
      onnx = try ONNXExporter.export(renamed, weights: weights, options: options)
    } catch let error as ONNXExportError {
      DiagnosticPrinter(
        path: specOptions.spec, text: try? String(contentsOfFile: specOptions.spec, encoding: .utf8)
      )
      .print([error.diagnostic])
      throw ExitCode(1)
    }
    let path = output ?? name + ".onnx"
    do {
      // Through AtomicFile, whose temporary a SIGINT/SIGTERM removes: no partial model is left.
      try AtomicFile.write(ONNXModelFile.serialized(onnx), to: path)
    } catch let error as DataError {
      throw fail("cannot write the model: \(error)")
    } catch {
      throw fail("cannot write \(path): \(error)")
    }
    let parameters = graph.parameterTotals.total
    print(
      "wrote \(path): opset \(opset), \(counted(onnx.graph.node.count, "node")), \(counted(parameters, "parameter")), "
        + "input \(ONNXModelDump.type(onnx.graph.input[0].type)), output "
        + "\(ONNXModelDump.type(onnx.graph.output[0].type)) (\(outputKind(model)))")
  }

  var fixedBatch: Int {
    if case .fixed(let size) = batch { return size }
    return 1
  }

  /// The activation the loss applies to the model's logits, appended so the exported model outputs
  /// the probabilities `nnc predict` prints.
  func outputActivation(_ model: InferenceModel) -> ONNXExportOptions.OutputActivation? {
    let loss = model.configuration.loss
    guard loss.fromLogits else { return nil }
    switch loss.kind {
    case .crossEntropy: return .softmax
    case .binaryCrossEntropy: return .sigmoid
    case .mse, .mae, .huber: return nil
    }
  }

  /// `probabilities` (the loss is a cross entropy), `values` (a regression) or `scores` (other outputs).
  func outputKind(_ model: InferenceModel) -> String {
    if model.task == .regression { return "values" }
    return model.configuration.loss.kind == .mse ? "scores" : "probabilities"
  }

  /// What a runtime needs besides the graph: where it came from, the class names, how inputs are
  /// preprocessed.
  func metadata(_ model: InferenceModel, name: String) -> [(key: String, value: String)] {
    var entries: [(key: String, value: String)] = [
      ("nnc.spec", name), ("nnc.version", NNCVersion.current), ("nnc.task", model.task.rawValue),
      ("nnc.output", outputKind(model)),
    ]
    if let classes = model.metadata[Checkpoint.classesKey] { entries.append(("nnc.classes", classes)) }
    // The model outputs standardized values; a runtime multiplies by std and adds mean per output.
    if let normalization = model.metadata[TargetNormalization.metadataKey] {
      entries.append(("nnc.target_normalization", normalization))
    }
    let preprocessing = InputPreprocessing(
      configuration: model.configuration, inputShape: model.graph.inputShape.sample)
    entries.append(("nnc.input_normalization", normalizationJSON(preprocessing.steps)))
    entries.append(("nnc.image_value_range", preprocessing.imageValueRange == 1 ? "[0, 1]" : "[0, 255]"))
    return entries
  }

  /// `[{"scale": s, "mean": [...], "std": [...]}, ...]`: each step maps x to (x · scale − mean) / std,
  /// per channel when mean and std have a value per channel.
  func normalizationJSON(_ steps: [Normalization]) -> String {
    struct Step: Encodable {
      var scale: Float
      var mean: [Float]
      var std: [Float]
    }
    // Normalization constants are finite (the spec checks them), so encoding does not fail in practice.
    return (try? jsonLine(steps.map { Step(scale: $0.scale, mean: $0.mean, std: $0.std) })) ?? "[]"
  }
}
