/// Parser for the `.nnc` syntax (see Grammar/nnc.ebnf).
public enum DSLParser {
  public static func parse(text: String, file: String, diagnostics: inout DiagnosticBag) -> Spec? {
    diagnostics.error("the .nnc parser is being written", at: SourceLocation(file: file, line: 1, column: 1))
    return nil
  }
}
