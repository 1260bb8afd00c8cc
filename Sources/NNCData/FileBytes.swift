import Foundation

/// Reads a whole file, turning a missing or unreadable file into a `DataError` naming it.
func readFileBytes(_ path: String) throws -> Data {
  var isDirectory: ObjCBool = false
  guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
    throw DataError(path, "no such file")
  }
  guard !isDirectory.boolValue else { throw DataError(path, "is a directory, not a data file") }
  do {
    return try Data(contentsOf: URL(fileURLWithPath: path))
  } catch {
    throw DataError(path, "cannot be read: \(error.localizedDescription)")
  }
}
