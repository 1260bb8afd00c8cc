import Foundation
import Testing

@testable import NNCSpec

@Test func scratch() throws {
  for url in specFiles(withExtension: "nnc") + specFiles(withExtension: "yaml") {
    let text = try String(contentsOf: url, encoding: .utf8)
    let (spec, diags) = parseSpec(text, syntax: SpecLoader.Syntax(path: url.path)!, file: url.path)
    print(DiagnosticRenderer(sources: [url.path: text]).render(diags))
    guard let spec else { continue }
    print(SpecPrinter.nnc(spec))
    print(SpecPrinter.yaml(spec))
  }
}
