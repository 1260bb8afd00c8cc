import ArgumentParser
import Foundation
import NNCData
import NNCONNX
import NNCSpec
import NNCTrain

struct ImportCommand: ParsableCommand {
  static let configuration = CommandConfiguration(
    commandName: "import",
    abstract: "Read an ONNX model as an nnc spec and its weights.",
    discussion: """
      Writes DIR/NAME.yaml (or .nnc), layers named after the ONNX nodes, and DIR/NAME.safetensors with \
      the initializers under the spec's parameter names; the spec's train.init reads it. An op nnc \
      cannot express is refused with its type, node name and the nearest supported alternative.
      """
  )

  enum Target: String, ExpressibleByArgument, CaseIterable {
    case yaml
    case nnc
  }

  @ArgumentParser.Argument(help: "The ONNX model (.onnx).")
  var model: String

  @Option(
    name: .shortAndLong, help: "The folder to write the spec and weights to (default: the current one).")
  var output: String = "."

  @Option(help: "The spec's syntax: yaml or nnc.")
  var to: Target = .yaml

  @Option(help: "The model's name and the files' (default: the ONNX file's name).")
  var name: String?

  func validate() throws {
    if let name, name.isEmpty || name.contains("/") {
      throw ValidationError("--name must be a non-empty file name without '/', found '\(name)'")
    }
  }

  func run() throws {
    SignalHandling.installExitAtOnce()
    let modelName = name ?? URL(fileURLWithPath: model).deletingPathExtension().lastPathComponent
    let imported: ONNXImportedModel
    do {
      let bytes = try RegularFile(model).allBytes()
      let onnx = try ONNXImporter.read(bytes: bytes)
      imported = try ONNXImporter.convert(onnx, name: modelName, weightsFile: modelName + ".safetensors")
    } catch let error as ONNXImportError {
      throw fail("\(model): \(error.message)")
    } catch let error as DataError {
      throw fail("cannot read the model: \(error)")
    } catch {
      throw fail("cannot read \(model): \(error)")
    }
    let specPath = output + "/" + modelName + "." + to.rawValue
    let weightsPath = output + "/" + modelName + ".safetensors"
    do {
      try AtomicFile.createDirectory(output)
      var tensors: [String: SafeTensor] = [:]
      for (name, weight) in imported.weights {
        tensors[name] = try SafeTensor(weight.values, shape: weight.shape)
      }
      try SafeTensorsFile(tensors: tensors, metadata: imported.weightMetadata).write(to: weightsPath)
      let body = to == .yaml ? SpecPrinter.yaml(imported.spec) : SpecPrinter.nnc(imported.spec)
      let text = header(imported) + body
      try AtomicFile.write(text, to: specPath)
    } catch let error as DataError {
      throw fail("cannot write the import: \(error)")
    } catch {
      throw fail("cannot write the import to \(output): \(error)")
    }
    let parameters = imported.weights.values.reduce(0) { $0 + $1.values.count }
    print(
      "wrote \(specPath) and \(weightsPath): \(imported.weights.count) tensors, \(parameters) parameters")
  }

  /// `#` comments (both syntaxes) naming the source model and what its `metadata_props` said that the
  /// spec has no key for: the class names and the input and target normalization, which the weights'
  /// metadata also holds.
  func header(_ imported: ONNXImportedModel) -> String {
    var lines = ["# imported by nnc import from \(URL(fileURLWithPath: model).lastPathComponent)"]
    for (key, value) in imported.weightMetadata.sorted(by: { $0.key < $1.key }) where key != "source" {
      lines.append("# \(key): \(value.replacingOccurrences(of: "\n", with: " "))")
    }
    return lines.joined(separator: "\n") + "\n"
  }
}
