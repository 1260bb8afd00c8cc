import Foundation
import Testing

@testable import NNCONNX

/// The ONNX backend node tests (onnx 1.23.2, Apache-2.0) of the ops nnc imports: each in-scope case
/// is imported and computed by nnc's executor, and its output compared with the case's expected
/// output at the suite's tolerances (rtol 1e-3, atol 1e-7). Cases out of scope are listed with their
/// reasons in out_of_scope.tsv; those "refused by the importer" are kept, and must be refused.
/// Made by scripts/make_onnx_conformance.py.
@Suite struct ONNXConformanceTests {
  static let directory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/onnx-conformance")

  /// Case → reason, from out_of_scope.tsv.
  static let outOfScope: [String: String] = {
    let url = directory.appendingPathComponent("out_of_scope.tsv")
    let table = (try? String(contentsOf: url, encoding: .utf8)) ?? ""
    var reasons: [String: String] = [:]
    for line in table.split(separator: "\n").dropFirst() {
      let fields = line.split(separator: "\t", maxSplits: 1, omittingEmptySubsequences: false)
      reasons[String(fields[0])] = fields.count == 2 ? String(fields[1]) : ""
    }
    return reasons
  }()

  static let written: [String] = {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return entries.filter { $0.hasPrefix("test_") }.sorted()
  }()

  static let inScope = written.filter { outOfScope[$0] == nil }
  static let refused = written.filter { outOfScope[$0] != nil }

  static func tensor(_ file: URL) throws -> (shape: [Int], values: [Float]) {
    let proto = try Onnx_TensorProto(serializedBytes: Data(contentsOf: file))
    let constant = try ONNXConstant(proto)
    return (constant.dims, constant.floats)
  }

  static func model(_ name: String) throws -> Onnx_ModelProto {
    let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(name + "/model.onnx")))
    return try ONNXImporter.read(bytes: bytes)
  }

  @Test func everyCaseOfTheFamiliesIsAccountedFor() {
    #expect(Self.inScope.count >= 40, "\(Self.inScope.count) cases in \(Self.directory.path)")
    #expect(Self.outOfScope.count >= 100)
    for (name, reason) in Self.outOfScope {
      #expect(!reason.isEmpty, "\(name) has no reason")
      #expect(
        Self.written.contains(name) == reason.hasPrefix("refused by the importer"),
        "\(name): only cases the importer refuses are kept out of scope")
    }
  }

  @Test(arguments: inScope)
  func caseMatchesTheReferenceOutputs(_ name: String) throws {
    let imported = try ONNXImporter.convert(
      Self.model(name), name: "conformance", weightsFile: "conformance.safetensors")
    let folder = Self.directory.appendingPathComponent(name)
    let input = try Self.tensor(folder.appendingPathComponent("input_0.pb"))
    let expected = try Self.tensor(folder.appendingPathComponent("output_0.pb"))
    let batch = input.shape[0]
    let network = try ImportedNetwork(imported, maxBatch: batch)
    let actual = network.run(input.values, batch: batch)
    // nnc's global pools give [N, C] where ONNX's give [N, C, 1, 1]: the same values in order.
    try #require(actual.count == expected.values.count)
    let excess = ImportedNetwork.excess(actual, expected.values, rtol: 1e-3, atol: 1e-7)
    #expect(excess == 0, "\(name): outputs differ by \(excess) beyond tolerance")
  }

  @Test(arguments: refused)
  func caseOutsideTheVocabularyIsRefused(_ name: String) throws {
    #expect {
      try ONNXImporter.convert(Self.model(name), name: "conformance", weightsFile: "conformance.safetensors")
    } throws: { error in
      let message = (error as? ONNXImportError)?.message ?? ""
      return message.contains("cannot be imported") && message.contains("nearest supported")
    }
  }
}
