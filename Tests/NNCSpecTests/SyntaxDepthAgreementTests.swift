import Foundation
import Testing

@testable import NNCSpec

/// A YAML model whose innermost `relu` sits `levels` constructs deep, nesting `construct` (a format
/// string with `%@` for the inner layer list).
private func nestedYAML(_ construct: String, levels: Int) -> String {
  var layers = "[relu]"
  for _ in 0..<levels { layers = "[" + construct.replacingOccurrences(of: "%@", with: layers) + "]" }
  return "model:\n  input: [4]\n  layers: \(layers)\n"
}

/// `train` holding a list nested `levels` deep.
private func nestedListYAML(levels: Int) -> String {
  "train:\n  x: " + String(repeating: "[", count: levels) + "1" + String(repeating: "]", count: levels) + "\n"
}

private let constructs = [
  "{residual: {layers: %@}}", "{residual: {layers: [relu], shortcut: %@}}", "{concat: [{branch: %@}]}",
  "{repeat: {count: 2, layers: %@}}",
]

/// Around the limit, a YAML spec is accepted exactly when its `.nnc` form parses: the printer never
/// writes text the parser refuses, and the refusal has the same message in both syntaxes.
@Test(arguments: constructs)
func yamlAndNNCAcceptTheSameNesting(_ construct: String) throws {
  var accepted = 0
  var refused = 0
  for levels in 90...(DSLParser.maximumDepth + 2) {
    try checkAgreement(
      nestedYAML(construct, levels: levels), label: "\(construct) x \(levels)", &accepted, &refused)
  }
  // The range crosses the limit, so both outcomes occur.
  #expect(accepted > 0 && refused > 0)
}

@Test func yamlAndNNCAcceptTheSameListNesting() throws {
  var accepted = 0
  var refused = 0
  for levels in 190...(DSLParser.maximumDepth + 2) {
    try checkAgreement(nestedListYAML(levels: levels), label: "list x \(levels)", &accepted, &refused)
  }
  #expect(accepted > 0 && refused > 0)
}

private func checkAgreement(_ yaml: String, label: String, _ accepted: inout Int, _ refused: inout Int) throws
{
  let (spec, diagnostics) = parseSpec(yaml, syntax: .yaml)
  guard let spec, diagnostics.isEmpty else {
    #expect(
      errorMessages(diagnostics) == ["the spec nests deeper than \(DSLParser.maximumDepth) levels"],
      "\(label)")
    // The same structure written in .nnc is refused by the parser with the same message.
    let refusedSpec = nestedSpecAsNNC(yaml)
    let (_, nncDiagnostics) = parseSpec(refusedSpec, syntax: .nnc)
    #expect(errorMessages(nncDiagnostics) == errorMessages(diagnostics), "\(label)")
    refused += 1
    return
  }
  let nnc = SpecPrinter.nnc(spec)
  let (back, backDiagnostics) = parseSpec(nnc, syntax: .nnc)
  #expect(backDiagnostics.isEmpty, "\(label): \(errorMessages(backDiagnostics))")
  #expect(back == spec, "\(label)")
  accepted += 1
}

/// The YAML text's structure in `.nnc`, printed from a YAML reading without the depth check (the
/// front end proper), so that a refused spec can be compared across syntaxes.
private func nestedSpecAsNNC(_ yaml: String) -> String {
  var bag = DiagnosticBag()
  guard let spec = YAMLReader.read(text: yaml, file: "deep.yaml", diagnostics: &bag) else { return "" }
  return SpecPrinter.nnc(spec)
}

/// Every spec among the golden tests that parses cleanly (whatever the validator says of it) reads
/// back unchanged from the other syntax, as the specs of Specs/ do (`roundTripsEverySpecFile`).
@Test func roundTripsEveryGoldenSpecThatParses() throws {
  let directory = repositoryRoot().appendingPathComponent("Tests/Golden")
  let names = (FileManager.default.subpaths(atPath: directory.path) ?? []).sorted()
  var checked = 0
  for name in names where name.hasSuffix(".yaml") || name.hasSuffix(".nnc") {
    let url = directory.appendingPathComponent(name)
    let text = try String(contentsOf: url, encoding: .utf8)
    let syntax = try #require(SpecLoader.Syntax(path: url.path))
    guard parseSpec(text, syntax: syntax).1.isEmpty else { continue }
    checkRoundTrip(text, syntax: syntax, label: name)
    checked += 1
  }
  #expect(checked >= 20)
}
