/// Identifies a model's architecture (not its training settings): the FNV-1a hash of its IR text
/// without source locations. A checkpoint is only resumed into the model that wrote it.
public enum ModelFingerprint {
  public static func of(_ graph: Graph) -> String {
    var hash: UInt64 = 0xcbf2_9ce4_8422_2325
    for byte in IRPrinter.print(graph, locations: false).utf8 {
      hash ^= UInt64(byte)
      hash &*= 0x0000_0100_0000_01b3
    }
    return String(hash, radix: 16)
  }
}
