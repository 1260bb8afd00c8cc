import Testing

@testable import NNCData

@Test func dataErrorNamesTheFile() {
  #expect(DataError("x.idx", "truncated").description == "x.idx: truncated")
}
