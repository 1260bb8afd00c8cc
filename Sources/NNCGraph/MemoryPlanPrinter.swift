/// The textual form of a memory plan (`nnc check --emit plan`): one line per arena buffer with its
/// byte offset, size, lifetime in steps and the values it holds, then the totals.
public enum MemoryPlanPrinter {
  /// `annotations` follow the values they name, in parentheses: the runtime's plan adds each
  /// convolution's algorithm there, which the graph knows nothing of.
  public static func print(_ plan: MemoryPlan, graph: Graph, annotations: [ValueID: String] = [:]) -> String {
    let steps = 2 * graph.nodes.count + 1
    var out = "plan @\(graph.name) for \(plan.mode.rawValue), batch \(plan.batchSize)"
    out += plan.reusesMemory ? "" : " (no reuse)"
    out += ": steps 0 (input), 1...\(graph.nodes.count) (forward), \(graph.nodes.count + 1) (output)"
    if plan.mode == .training { out += ", \(graph.nodes.count + 2)...\(steps) (backward)" }
    out += "\n"
    let names = Dictionary(graph.nodes.map { ($0.output, $0.name) }, uniquingKeysWith: { a, _ in a })
    for buffer in plan.buffers.sorted(by: { ($0.offset, $0.firstStep) < ($1.offset, $1.firstStep) }) {
      let held = buffer.values.map { value -> String in
        let label = value == graph.input ? "input" : names[value] ?? ""
        let annotation = buffer.isGradient ? nil : annotations[value]
        return (buffer.isGradient ? "d" : "") + "\(value) \"\(label)\""
          + (annotation.map { " (\($0))" } ?? "")
      }.joined(separator: ", ")
      out +=
        "  @\(buffer.offset * MemoryLayout<Float>.size) \(bytesText(buffer.elements * 4)) steps \(buffer.firstStep)...\(buffer.lastStep): "
      out += held + "\n"
    }
    let ratio = plan.naiveBytes == 0 ? 0 : Double(plan.plannedBytes) / Double(plan.naiveBytes)
    out += "planned \(bytesText(plan.plannedBytes)) (\(plan.plannedBytes) bytes), naive "
    out += "\(bytesText(plan.naiveBytes)) (\(plan.naiveBytes) bytes): "
    out += "\(Int((ratio * 100).rounded()))% of naive\n"
    return out
  }

  /// 1536 → "1.5 KiB".
  public static func bytesText(_ bytes: Int) -> String {
    let units = ["B", "KiB", "MiB", "GiB", "TiB", "PiB", "EiB"]
    var value = Double(bytes)
    var unit = 0
    while value >= 1024 && unit < units.count - 1 {
      value /= 1024
      unit += 1
    }
    if unit == 0 { return "\(bytes) B" }
    let rounded = (value * 10).rounded() / 10
    return "\(rounded) \(units[unit])"
  }
}
