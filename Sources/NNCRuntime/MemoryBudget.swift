import Foundation

/// How much memory a run may take: `--max-memory` when given, else what the system can still give
/// this process — the smaller of `MemAvailable` (/proc/meminfo) and the room left under its
/// cgroup's limit (v2 `memory.max` minus `memory.current`, v1 `memory.limit_in_bytes` minus
/// `memory.usage_in_bytes`).
public struct MemoryBudget: Sendable, Equatable {
  public var availableBytes: Int
  /// Where the limit comes from, for messages: "--max-memory", "MemAvailable", "the cgroup limit".
  public var source: String

  public init(availableBytes: Int, source: String) {
    self.availableBytes = availableBytes
    self.source = source
  }

  /// `--max-memory` when given, else the system's; nil when neither is known (no /proc).
  public static func resolve(maxMemory: Int?) -> MemoryBudget? {
    if let maxMemory { return MemoryBudget(availableBytes: maxMemory, source: "--max-memory") }
    return system()
  }

  /// What the system can give this process now; nil when nothing can be read.
  public static func system() -> MemoryBudget? {
    var candidates: [MemoryBudget] = []
    if let meminfo = read("/proc/meminfo"), let available = memAvailable(meminfo: meminfo) {
      candidates.append(MemoryBudget(availableBytes: available, source: "MemAvailable"))
    }
    if let cgroups = read("/proc/self/cgroup"), let room = cgroupRoom(cgroups: cgroups) {
      candidates.append(MemoryBudget(availableBytes: room, source: "the cgroup limit"))
    }
    return candidates.min { $0.availableBytes < $1.availableBytes }
  }

  /// The estimate's refusal, or nil when it fits: the total, the limit and the largest parts.
  public func refusal(_ estimate: MemoryEstimate, command: String) -> String? {
    let total = estimate.totalBytes
    guard total > availableBytes else { return nil }
    let largest = estimate.largest(3).map { "\($0.description) \(MemoryEstimate.bytesText($0.bytes))" }
    return "nnc \(command) needs about \(MemoryEstimate.bytesText(total)), more than the \(availableText); "
      + "largest parts: \(largest.joined(separator: ", ")). "
      + "Make the model or train.batch_size smaller, or raise --max-memory"
  }

  /// "8.0 GiB available (MemAvailable)".
  public var availableText: String {
    "\(MemoryEstimate.bytesText(availableBytes)) available (\(source))"
  }

  // MARK: Parsing

  /// "4096", "512K", "8G" (binary multiples; a trailing "B" or "iB" is accepted): bytes, or nil for
  /// text that is not a size or one that overflows.
  public static func parseSize(_ text: String) -> Int? {
    var digits = Substring(text.trimmingCharacters(in: .whitespaces).uppercased())
    for suffix in ["IB", "B"] where digits.hasSuffix(suffix) && digits.count > suffix.count {
      digits = digits.dropLast(suffix.count)
      break
    }
    let shifts: [Character: Int] = ["K": 10, "M": 20, "G": 30, "T": 40]
    var shift = 0
    if let last = digits.last, let unitShift = shifts[last] {
      shift = unitShift
      digits = digits.dropLast()
    }
    guard !digits.isEmpty, digits.allSatisfy(\.isASCII), digits.allSatisfy(\.isNumber),
      let value = Int(digits)
    else { return nil }
    let (bytes, overflow) = value.multipliedReportingOverflow(by: 1 << shift)
    return overflow ? nil : bytes
  }

  /// `MemAvailable` of /proc/meminfo text, in bytes.
  public static func memAvailable(meminfo: String) -> Int? {
    for line in meminfo.split(separator: "\n") where line.hasPrefix("MemAvailable:") {
      let fields = line.split(separator: " ", omittingEmptySubsequences: true)
      guard fields.count >= 2, let kilobytes = Int(fields[1]) else { return nil }
      let (bytes, overflow) = kilobytes.multipliedReportingOverflow(by: 1024)
      return overflow ? nil : bytes
    }
    return nil
  }

  /// A cgroup's limit file (`memory.max`, `memory.limit_in_bytes`): bytes, nil for "max" or no limit.
  public static func cgroupLimit(_ text: String) -> Int? {
    let value = text.trimmingCharacters(in: .whitespacesAndNewlines)
    // cgroup v1 writes "no limit" as a huge page-rounded number near Int64.max.
    guard let bytes = Int(value), bytes < 1 << 60 else { return nil }
    return bytes
  }

  /// The room left under a limit: limit minus usage (usage unknown counts as 0), at least 0.
  public static func room(limit: Int, usage: String?) -> Int {
    let used = usage.flatMap { Int($0.trimmingCharacters(in: .whitespacesAndNewlines)) } ?? 0
    return max(0, limit - used)
  }

  /// The memory-controlling cgroup's directory from /proc/self/cgroup text: the v1 `memory`
  /// hierarchy when listed, else the v2 unified one ("0::/path").
  public static func cgroupDirectory(cgroups: String) -> (path: String, version: Int)? {
    var unified: String?
    for line in cgroups.split(separator: "\n") {
      let fields = line.split(separator: ":", maxSplits: 2, omittingEmptySubsequences: false)
      guard fields.count == 3 else { continue }
      if fields[1].split(separator: ",").contains("memory") {
        return ("/sys/fs/cgroup/memory" + fields[2], 1)
      }
      if fields[0] == "0", fields[1].isEmpty { unified = "/sys/fs/cgroup" + fields[2] }
    }
    return unified.map { ($0, 2) }
  }

  static func cgroupRoom(cgroups: String) -> Int? {
    guard let (directory, version) = cgroupDirectory(cgroups: cgroups) else { return nil }
    let (limitFile, usageFile) =
      version == 2 ? ("memory.max", "memory.current") : ("memory.limit_in_bytes", "memory.usage_in_bytes")
    guard let text = read(directory + "/" + limitFile), let limit = cgroupLimit(text) else { return nil }
    return room(limit: limit, usage: read(directory + "/" + usageFile))
  }

  static func read(_ path: String) -> String? {
    try? String(contentsOfFile: path, encoding: .utf8)
  }
}
