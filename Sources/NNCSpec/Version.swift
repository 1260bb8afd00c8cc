/// nnc's version: what `nnc --version` prints, what checkpoints record (`nnc_version`) and what
/// exported ONNX models name as their producer, from this one constant.
public enum NNCVersion {
  public static let current = "0.3.0"
}
