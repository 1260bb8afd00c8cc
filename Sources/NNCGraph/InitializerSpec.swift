import NNCSpec

extension InitializerKind {
  /// A checked `init` or `bias_init` value: a word (`he_normal`) or a one-entry map
  /// (`{normal: {std: 0.01}}`, `{constant: 0.1}`, what `.nnc`'s `normal(std: 0.01)` parses to).
  public init?(_ expr: Expr) {
    var call: Call
    switch expr.kind {
    case .string(let word): call = Call(name: word, at: expr.location)
    case .map(let entries) where entries.count == 1:
      call = Call(
        name: entries[0].key, arguments: ArgumentChecker.mapArguments(entries[0].value), at: expr.location)
    default: return nil
    }
    guard let signature = Vocabulary.initializers.first(where: { $0.name == call.name }) else { return nil }
    // The checker has reported any problem with the value; here it only needs reading.
    var ignored = DiagnosticBag()
    call = ArgumentChecker.labelled(call, signature, into: &ignored)
    let arguments = ArgumentChecker.check(call, against: signature, what: call.name, into: &ignored)
    switch call.name {
    case "he_normal": self = .heNormal
    case "he_uniform": self = .heUniform
    case "glorot_uniform": self = .glorotUniform
    case "glorot_normal": self = .glorotNormal
    case "zeros": self = .zeros
    case "ones": self = .ones
    case "xavier":
      self = .xavier(XavierNorm(rawValue: arguments.string("variance_norm") ?? "fan_in") ?? .fanIn)
    case "lecun_normal": self = .lecunNormal
    case "lecun_uniform": self = .lecunUniform
    case "normal": self = .normal(mean: arguments.double("mean") ?? 0, std: arguments.double("std") ?? 1)
    case "uniform": self = .uniform(low: arguments.double("low") ?? 0, high: arguments.double("high") ?? 1)
    case "constant": self = .constant(arguments.double("value") ?? 0)
    case "orthogonal": self = .orthogonal(gain: arguments.double("gain") ?? 1)
    default: return nil
    }
  }
}
