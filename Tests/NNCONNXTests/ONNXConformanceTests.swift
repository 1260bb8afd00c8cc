import Foundation
import Testing

@testable import NNCONNX

/// The ONNX backend node tests (onnx 1.23.2, Apache-2.0) of the ops nnc imports: each in-scope case
/// is imported and computed by nnc's executor, and its output compared with the case's expected
/// output at the suite's tolerances (rtol 1e-3, atol 1e-7). Cases out of scope are listed with their
/// reasons in out_of_scope.tsv. Made by scripts/make_onnx_conformance.py.
@Suite struct ONNXConformanceTests {
  static let directory = URL(fileURLWithPath: #filePath)
    .deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Fixtures/onnx-conformance")

  static let cases: [String] = {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? []
    return entries.filter { $0.hasPrefix("test_") }.sorted()
  }()

  static func tensor(_ file: URL) throws -> (shape: [Int], values: [Float]) {
    let proto = try Onnx_TensorProto(serializedBytes: Data(contentsOf: file))
    let constant = try ONNXConstant(proto)
    return (constant.dims, constant.floats)
  }

  @Test func casesAreThere() throws {
    #expect(Self.cases.count >= 50, "\(Self.cases.count) cases in \(Self.directory.path)")
    let table = try String(contentsOf: Self.directory.appendingPathComponent("out_of_scope.tsv"), encoding: .utf8)
    let rows = table.split(separator: "\n").dropFirst().map { $0.split(separator: "\t", omittingEmptySubsequences: false) }
    #expect(rows.count >= 50)
    for row in rows {
      #expect(row.count == 2 && !row[1].isEmpty, "\(row)")
      #expect(!Self.cases.contains(String(row[0])), "\(row[0]) is both in and out of scope")
    }
  }

  @Test(arguments: cases)
  func caseMatchesTheReferenceOutputs(_ name: String) throws {
    let folder = Self.directory.appendingPathComponent(name)
    let bytes = try [UInt8](Data(contentsOf: folder.appendingPathComponent("model.onnx")))
    let imported = try ONNXImporter.convert(
      ONNXImporter.read(bytes: bytes), name: "conformance", weightsFile: "conformance.safetensors")
    let input = try Self.tensor(folder.appendingPathComponent("input_0.pb"))
    let expected = try Self.tensor(folder.appendingPathComponent("output_0.pb"))
    let batch = input.shape[0]
    let network = try ImportedNetwork(imported, maxBatch: batch)
    let actual = network.run(input.values, batch: batch)
    // nnc's global pools give [N, C] where ONNX's give [N, C, 1, 1]: the same values in order.
    #expect(batch * network.graph.outputShape.sampleCount == expected.values.count)
    try #require(actual.count == expected.values.count)
    let excess = ImportedNetwork.excess(actual, expected.values, rtol: 1e-3, atol: 1e-7)
    #expect(excess == 0, "\(name): outputs differ by \(excess) beyond tolerance")
  }
}
