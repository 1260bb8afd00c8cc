import Foundation
import NNCData

extension TargetNormalization {
  /// The checkpoint metadata key of `data.normalize_targets`'s statistics: evaluation and prediction
  /// undo the normalization the model was trained with.
  public static let metadataKey = "target_normalization"

  /// `{"mean":[...],"std":[...]}`.
  public var metadataJSON: String {
    let encoder = JSONEncoder()
    encoder.outputFormatting = [.sortedKeys]
    return (try? String(decoding: encoder.encode(self), as: UTF8.self)) ?? "{}"
  }

  /// The statistics a checkpoint records; nil when it records none or they are malformed.
  public init?(metadata: [String: String]) {
    guard let text = metadata[Self.metadataKey],
      let decoded = try? JSONDecoder().decode(TargetNormalization.self, from: Data(text.utf8)),
      decoded.mean.count == decoded.std.count, decoded.std.allSatisfy({ $0 > 0 && $0.isFinite }),
      decoded.mean.allSatisfy(\.isFinite)
    else { return nil }
    self = decoded
  }
}
