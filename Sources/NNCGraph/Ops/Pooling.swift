/// Max and average pooling over windows, and their global forms.
public struct PoolAttributes: Sendable, Equatable {
  public enum Kind: String, Sendable { case max, average }
  public var kind: Kind
  public var window: Size2
  public var stride: Size2
  public var padding: Padding4
}

public enum GlobalPoolKind: String, Sendable, Equatable {
  case max
  case average
}
