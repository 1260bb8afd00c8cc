import Dispatch
import Foundation
import NNCGraph
import NNCSpec
import NNCTrain

/// `nnc bench --allreduce-bandwidth` under mpirun: times in-place float all-reduces (what
/// `GradientAverager` sends) of the model's gradients, of one bucket, and of sizes from 4 KiB to
/// 64 MiB, and fits the ring all-reduce's cost t(n) = latency + 2·(K−1)/K · n / bandwidth to them.
/// The fitted latency and bus bandwidth are what the README's cost model takes.
struct AllreduceBandwidth {
  let communicator: any Communicator
  let seconds: Double
  let format: OutputFormat

  struct Row: Encodable {
    var bytes: Int
    var what: String
    var milliseconds: Double
    /// bytes / time, and the bytes each rank's link carries in a ring all-reduce over time.
    var algorithm_gb_per_second: Double
    var bus_gb_per_second: Double
  }

  struct Report: Encodable {
    var model: String
    var ranks: Int
    var gradient_bytes: Int
    var bucket_bytes: Int
    var sizes: [Row]
    var fitted_latency_microseconds: Double
    var fitted_bus_gb_per_second: Double
    /// The median time of single all-reduces of one float: the latency of the transport, which the
    /// fit, ruled by the large sizes, does not resolve (a median, since on a busy machine a few
    /// calls wait for a descheduled rank and would rule a mean).
    var one_float_microseconds: Double
  }

  func measure(graph: Graph, configuration: TrainingConfiguration) throws {
    guard communicator.isDistributed else {
      throw fail("--allreduce-bandwidth times MPI all-reduces: run it under mpirun with at least 2 ranks")
    }
    let ranks = Double(communicator.size)
    let gradientBytes = graph.parameterTotals.trainable * MemoryLayout<Float>.stride
    let bucketBytes = min(Int(configuration.allreduceBucketMB * 1_048_576), gradientBytes)
    var sizes = [
      (4, "one float"), (64, ""), (512, ""), (4 << 10, ""), (64 << 10, ""), (1 << 20, ""), (4 << 20, ""),
      (16 << 20, ""), (64 << 20, ""),
    ]
    sizes.append((gradientBytes, "the model's gradients"))
    if bucketBytes < gradientBytes { sizes.append((bucketBytes, "one bucket")) }
    sizes.sort { $0.0 < $1.0 }
    var buffer = [Float](repeating: 1, count: sizes.map(\.0).max()! / MemoryLayout<Float>.stride)
    var rows: [Row] = []
    for (bytes, what) in sizes {
      let count = max(bytes / MemoryLayout<Float>.stride, 1)
      let time = try buffer.withUnsafeMutableBufferPointer { values in
        try timePerCall(budget: seconds / Double(sizes.count)) {
          try communicator.sum(UnsafeMutableBufferPointer(rebasing: values[0..<count]))
        }
      }
      // Sums of ones grow by K per call: start over so the values stay finite.
      for index in 0..<count { buffer[index] = 1 }
      let moved = Double(count * MemoryLayout<Float>.stride)
      rows.append(
        Row(
          bytes: count * MemoryLayout<Float>.stride, what: what, milliseconds: time * 1000,
          algorithm_gb_per_second: moved / time / 1e9,
          bus_gb_per_second: 2 * (ranks - 1) / ranks * moved / time / 1e9))
    }
    // Least squares of time against the ring's bytes per link.
    let points = rows.map { (x: 2 * (ranks - 1) / ranks * Double($0.bytes), y: $0.milliseconds / 1000) }
    let meanX = points.reduce(0) { $0 + $1.x } / Double(points.count)
    let meanY = points.reduce(0) { $0 + $1.y } / Double(points.count)
    let slope =
      points.reduce(0) { $0 + ($1.x - meanX) * ($1.y - meanY) }
      / points.reduce(0) { $0 + ($1.x - meanX) * ($1.x - meanX) }
    let report = Report(
      model: graph.name, ranks: communicator.size, gradient_bytes: gradientBytes, bucket_bytes: bucketBytes,
      sizes: rows, fitted_latency_microseconds: max(meanY - slope * meanX, 0) * 1e6,
      fitted_bus_gb_per_second: 1 / slope / 1e9, one_float_microseconds: try medianOneFloatSeconds() * 1e6)
    switch format {
    case .json:
      print(try reportJSON(report))
    case .text:
      print(text(report))
    }
  }

  func text(_ report: Report) -> String {
    var lines = [
      "\(report.model): all-reduce of floats (in place, sum) on \(report.ranks) ranks",
      "        bytes        ms   algbw GB/s   busbw GB/s",
    ]
    for row in report.sizes {
      let size = MemoryPlanPrinter.bytesText(row.bytes)
      lines.append(
        String(repeating: " ", count: max(0, 13 - size.count)) + size
          + String(
            format: " %9.3f %12.3f %12.3f  ", row.milliseconds, row.algorithm_gb_per_second,
            row.bus_gb_per_second) + row.what)
    }
    lines.append(
      String(
        format: "fit: t = %.1f µs + 2·(K−1)/K · bytes / %.3f GB/s", report.fitted_latency_microseconds,
        report.fitted_bus_gb_per_second))
    lines.append(
      String(format: "one float: %.1f µs (the transport's latency)", report.one_float_microseconds))
    return lines.joined(separator: "\n")
  }

  /// The median of 2,001 timed all-reduces of one float, after 100 untimed ones.
  func medianOneFloatSeconds() throws -> Double {
    var value: [Float] = [0]
    var times: [Double] = []
    times.reserveCapacity(2001)
    try value.withUnsafeMutableBufferPointer { value in
      for call in 0..<2101 {
        let start = DispatchTime.now().uptimeNanoseconds
        try communicator.sum(value)
        if call >= 100 { times.append(Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9) }
      }
    }
    return times.sorted()[times.count / 2]
  }

  /// Seconds per call of `body` over at least five calls and about `budget` seconds: rank 0 times
  /// two warm-up calls and chooses the count for every rank, so no other message is timed.
  func timePerCall(budget: Double, _ body: () throws -> Void) throws -> Double {
    try body()
    let pilotStart = DispatchTime.now().uptimeNanoseconds
    try body()
    let pilot = Double(DispatchTime.now().uptimeNanoseconds - pilotStart) / 1e9
    var calls = [communicator.isRoot ? max(5, min(100_000, (budget / max(pilot, 1e-7)).rounded())) : 0]
    try communicator.sum(&calls)
    let start = DispatchTime.now().uptimeNanoseconds
    for _ in 0..<Int(calls[0]) { try body() }
    return Double(DispatchTime.now().uptimeNanoseconds - start) / 1e9 / calls[0]
  }
}
