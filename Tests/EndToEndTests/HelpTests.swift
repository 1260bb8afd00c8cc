import Foundation
import Testing

@Test func binaryPrintsHelp() throws {
  let result = try NNCProcess.run(["--help"])
  #expect(result.status == 0)
  #expect(result.stdout.contains("nnc"))
}
