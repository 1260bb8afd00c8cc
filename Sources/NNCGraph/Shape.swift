/// A tensor shape whose first dimension may be the symbolic batch size `N`.
public struct Shape: Hashable, Sendable, CustomStringConvertible {
  public enum Dimension: Hashable, Sendable {
    case batch
    case fixed(Int)
  }

  public var dimensions: [Dimension]

  public init(_ dimensions: [Dimension]) { self.dimensions = dimensions }

  /// `[N] + sample`.
  public init(batchOf sample: [Int]) {
    self.dimensions = [.batch] + sample.map { .fixed($0) }
  }

  public var rank: Int { dimensions.count }

  /// The dimensions after the batch, which must all be fixed.
  public var sample: [Int] {
    dimensions.dropFirst().map { if case .fixed(let value) = $0 { value } else { 0 } }
  }

  /// Elements per sample.
  public var sampleCount: Int { sample.reduce(1, *) }

  public var description: String {
    "["
      + dimensions.map { if case .fixed(let value) = $0 { String(value) } else { "N" } }.joined(
        separator: ",")
      + "]"
  }
}
