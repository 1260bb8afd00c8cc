import ArgumentParser
import Foundation
import NNCGraph
import NNCSpec
import NNCTrain

/// Options every command that reads a spec shares.
struct SpecOptions: ParsableArguments {
  @ArgumentParser.Argument(help: "The spec file (.yaml, .yml or .nnc).")
  var spec: String

  @Option(
    name: .customLong("set"),
    help: ArgumentHelp(
      "Override a value of the spec by its dotted path in the YAML form (repeatable).",
      valueName: "PATH=VALUE"))
  var overrides: [String] = []
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
  case text
  case json
}

/// Prints diagnostics to standard error with the quoted source lines.
struct DiagnosticPrinter {
  var renderer: DiagnosticRenderer

  init(path: String, text: String?, overrides: [String] = []) {
    var sources: [String: String] = [Override.pseudoFile: Override.pseudoFileText(overrides)]
    if let text { sources[path] = text }
    renderer = DiagnosticRenderer(sources: sources)
  }

  func print(_ diagnostics: [Diagnostic]) {
    guard !diagnostics.isEmpty else { return }
    var text = renderer.render(diagnostics)
    let errors = diagnostics.filter { $0.severity == .error }.count
    let warnings = diagnostics.filter { $0.severity == .warning }.count
    if errors > 0 || warnings > 0 {
      var parts: [String] = []
      if errors > 0 { parts.append("\(errors) error\(errors == 1 ? "" : "s")") }
      if warnings > 0 { parts.append("\(warnings) warning\(warnings == 1 ? "" : "s")") }
      text += parts.joined(separator: " and ") + " generated.\n"
    }
    Console.standardError(text)
  }
}

/// A spec read and lowered, or the diagnostics explaining why not (already printed).
struct LoadedSpec {
  var spec: Spec
  var graph: Graph
  var diagnostics: [Diagnostic]
}

enum SpecPipeline {
  /// Reads, validates and lowers a spec; prints diagnostics; exits with status 1 on errors. With
  /// `checkData`, the data files the spec names are looked at too (`DataFileChecks`).
  static func load(_ options: SpecOptions, checkData: Bool = false) throws -> LoadedSpec {
    let path = options.spec
    let (parsed, loadDiagnostics, text) = SpecLoader.load(path: path)
    let printer = DiagnosticPrinter(path: path, text: text, overrides: options.overrides)
    var overrideDiagnostics = DiagnosticBag()
    let spec = parsed.map { applyOverrides(options.overrides, to: $0, diagnostics: &overrideDiagnostics) }
    let parseDiagnostics = loadDiagnostics + overrideDiagnostics.diagnostics
    guard let spec else {
      printer.print(parseDiagnostics)
      throw failure(parseDiagnostics)
    }
    // A spec with structural mistakes still parses to a partial AST; checking it too reports every
    // independent mistake in one run.
    let lowered = Lowering.lower(spec)
    var bag = DiagnosticBag()
    bag.append(contentsOf: parseDiagnostics + lowered.diagnostics)
    if checkData { DataFileChecks.check(spec, into: &bag) }
    let diagnostics = bag.diagnostics
    printer.print(diagnostics)
    guard let graph = lowered.graph, !bag.hasErrors else { throw failure(diagnostics) }
    return LoadedSpec(spec: spec, graph: graph, diagnostics: diagnostics)
  }

  /// Reads a spec without lowering it (for `fmt` and `--emit ast`).
  static func parse(_ options: SpecOptions) throws -> Spec {
    let (parsed, loadDiagnostics, text) = SpecLoader.load(path: options.spec)
    var overrideDiagnostics = DiagnosticBag()
    let spec = parsed.map { applyOverrides(options.overrides, to: $0, diagnostics: &overrideDiagnostics) }
    let diagnostics = loadDiagnostics + overrideDiagnostics.diagnostics
    DiagnosticPrinter(path: options.spec, text: text, overrides: options.overrides).print(diagnostics)
    guard let spec, !diagnostics.contains(where: { $0.severity == .error }) else {
      throw failure(diagnostics)
    }
    return spec
  }

  /// Exit status 1 for a spec with errors, after the JSON report under `--format json`.
  static func failure(_ diagnostics: [Diagnostic]) -> ExitCode {
    let first = diagnostics.first { $0.severity == .error }?.message ?? "the spec has errors"
    JSONErrorOutput.report(message: first, diagnostics: diagnostics)
    return ExitCode(1)
  }

  static func applyOverrides(_ texts: [String], to spec: Spec, diagnostics: inout DiagnosticBag) -> Spec {
    let overrides = texts.enumerated().compactMap { index, text in
      Override.parse(text, index: index + 1, diagnostics: &diagnostics)
    }
    return overrides.isEmpty ? spec : spec.applying(overrides, diagnostics: &diagnostics)
  }
}

extension Spec {
  /// `train.batch_size`, or its default.
  var batchSize: Int { TrainingConfiguration(spec: self).batchSize }
}
