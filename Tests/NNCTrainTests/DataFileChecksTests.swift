import Foundation
import NNCData
import NNCSpec
import Testing

@testable import NNCTrain

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
  .deletingLastPathComponent()

/// A spec at the repository root whose model takes `input` and whose data section is `data`.
private func dataSpec(input: String, data: String) throws -> Spec {
  let text = "model:\n  input: \(input)\n  layers: [flatten, {dense: 10}]\ndata:\n\(data)"
  let (spec, diagnostics) = SpecLoader.parse(
    text: text, path: root.appendingPathComponent("spec.yaml").path, syntax: .yaml)
  #expect(diagnostics.isEmpty, "\(diagnostics.map(\.message))")
  return try #require(spec)
}

private func dataDiagnostics(_ spec: Spec) -> [Diagnostic] {
  var bag = DiagnosticBag()
  DataFileChecks.check(spec, into: &bag)
  return bag.diagnostics
}

private let mnist = """
    format: idx
    train: {images: Data/mnist5k/train-images-idx3-ubyte, labels: Data/mnist5k/train-labels-idx1-ubyte}

  """

@Test(arguments: ["[1, 28, 28]", "[784]"])
func existingFilesOfTheInputsSizePass(_ input: String) throws {
  #expect(dataDiagnostics(try dataSpec(input: input, data: mnist)).isEmpty)
}

@Test func aMisspeltFileIsLocatedWithTheNameBesideIt() throws {
  let spec = try dataSpec(
    input: "[1, 28, 28]", data: mnist.replacingOccurrences(of: "labels-idx1-ubyte", with: "labels-idx1-ubite")
  )
  let diagnostics = dataDiagnostics(spec)
  #expect(
    diagnostics.map(\.message) == [
      "'Data/mnist5k/train-labels-idx1-ubite' does not exist; did you mean 'Data/mnist5k/train-labels-idx1-ubyte'?"
    ])
  guard case .map(let entries) = spec.data?.kind, case .map(let fields) = entries[1].value.kind else {
    Issue.record("no train split")
    return
  }
  #expect(diagnostics.first?.location == fields[1].value.location)
}

@Test func samplesOfAnotherSizeThanTheInputAreAnError() throws {
  let diagnostics = dataDiagnostics(try dataSpec(input: "[3, 32, 32]", data: mnist))
  let samples = try IDXReader.read(root.appendingPathComponent("Data/mnist5k/train-images-idx3-ubyte").path)
  let sample = samples.dimensions.dropFirst().map(String.init).joined(separator: ", ")
  let values = samples.dimensions.dropFirst().reduce(1, *)
  #expect(
    diagnostics.map(\.message) == [
      "the samples in this file have shape [\(sample)] (\(values) values), but the model input [3, 32, 32] takes 3072"
    ])
}

@Test func npyHeadersGiveTheStoredShape() throws {
  let path = root.appendingPathComponent("Tests/Fixtures/transfer/inputs.npy").path
  #expect(try DataFileHeader.shape(of: path, format: "npy") == NPYReader.read(path).shape)
  let idx = root.appendingPathComponent("Data/mnist5k/t10k-images-idx3-ubyte").path
  #expect(try DataFileHeader.shape(of: idx, format: "idx") == IDXReader.read(idx).dimensions)
}
