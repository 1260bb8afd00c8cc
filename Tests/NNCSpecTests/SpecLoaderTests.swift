import Foundation
import Testing

@testable import NNCSpec

@Test func invalidUTF8InASpecIsLocatedByLineAndColumn() throws {
  let path = NSTemporaryDirectory() + "nnc-spec-utf8-\(UUID().uuidString).nnc"
  defer { try? FileManager.default.removeItem(atPath: path) }
  // Line 3: "  é" then a lone continuation byte: column 4 counts scalars, as the lexers do.
  let bytes = Array("model m {\n  input [4]\n  é".utf8) + [0x80] + Array(" }\n".utf8)
  try Data(bytes).write(to: URL(fileURLWithPath: path))
  let (spec, diagnostics, text) = SpecLoader.load(path: path)
  #expect(spec == nil && text == nil)
  #expect(diagnostics.count == 1)
  #expect(diagnostics.first?.location == SourceLocation(file: path, line: 3, column: 4))
  #expect(
    diagnostics.first?.message
      == "spec file '\(path)' is not valid UTF-8 text: byte 0x80 at line 3, column 4 does not start a "
      + "complete UTF-8 character")
}

@Test func truncatedUTF8AtTheEndIsLocatedToo() {
  // A two-byte sequence cut after its first byte, at the start of line 2.
  let (location, byte) = SpecLoader.firstInvalidUTF8(in: Array("a\n".utf8) + [0xC3], file: "f.yaml")
  #expect(location == SourceLocation(file: "f.yaml", line: 2, column: 1))
  #expect(byte == 0xC3)
}
