import NNCGraph

/// The text form of `nnc check`: a Keras-like table followed by totals.
enum SummaryTable {
  static func render(_ summary: ModelSummary) -> String {
    let header = ["layer", "op", "output shape", "params"]
    let rows = summary.rows.map { [$0.name, $0.op, $0.outputShape.description, grouped($0.parameters)] }
    var widths = header.map(\.count)
    for row in rows {
      for (index, cell) in row.enumerated() { widths[index] = max(widths[index], cell.count) }
    }
    func format(_ cells: [String]) -> String {
      cells.enumerated().map { index, cell in
        let padding = String(repeating: " ", count: widths[index] - cell.count)
        return index == cells.count - 1 ? padding + cell : cell + padding
      }.joined(separator: "  ")
    }
    let rule = String(repeating: "-", count: widths.reduce(0, +) + 2 * (widths.count - 1))
    var out = "model \(summary.name): input \(summary.inputShape) -> output \(summary.outputShape)\n"
    out += format(header) + "\n" + rule + "\n"
    for row in rows { out += format(row) + "\n" }
    out += rule + "\n"
    out += "trainable params:     \(grouped(summary.parameters.trainable))\n"
    out += "non-trainable params: \(grouped(summary.parameters.nonTrainable))\n"
    out += "total params:         \(grouped(summary.parameters.total))\n"
    out +=
      "forward FLOPs:        \(scaled(Double(summary.flops), unit: "FLOP")) (batch \(summary.batchSize))\n"
    out += "activation memory:    \(bytes(summary.activationBytes)) (batch \(summary.batchSize), no reuse)\n"
    return out
  }

  static func grouped(_ value: Int) -> String {
    let digits = Array(String(value))
    var out = ""
    for (index, digit) in digits.enumerated() {
      if index > 0, (digits.count - index) % 3 == 0 { out.append(",") }
      out.append(digit)
    }
    return out
  }

  static func scaled(_ value: Double, unit: String) -> String {
    let prefixes = [(1e12, "T"), (1e9, "G"), (1e6, "M"), (1e3, "K")]
    for (scale, prefix) in prefixes where value >= scale {
      return String(format: "%.2f %@%@", value / scale, prefix, unit)
    }
    return "\(Int(value)) \(unit)"
  }

  static func bytes(_ value: Int) -> String {
    let units = [(1 << 30, "GiB"), (1 << 20, "MiB"), (1 << 10, "KiB")]
    for (scale, unit) in units where value >= scale {
      return String(format: "%.2f %@", Double(value) / Double(scale), unit)
    }
    return "\(value) B"
  }
}
