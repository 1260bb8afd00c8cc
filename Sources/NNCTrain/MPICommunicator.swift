import CMPI
import Foundation

/// The ranks of `mpirun` (Open MPI's world communicator). libmpi is linked at build time, so
/// `nnc` needs the Open MPI runtime library even when it runs alone; `MPI_Init` runs only when
/// `mpirun` started the process (`OMPI_COMM_WORLD_SIZE` is set), so a plain `nnc train` never
/// touches MPI.
public final class MPICommunicator: Communicator {
  public let rank: Int
  public let size: Int
  /// The nonblocking sums started and not yet known to be complete.
  private var pendingSums: [MPI_Request?] = []

  /// The world of `mpirun`, or nil when this process was not started by it.
  public static func fromEnvironment() throws -> MPICommunicator? {
    guard ProcessInfo.processInfo.environment["OMPI_COMM_WORLD_SIZE"] != nil else { return nil }
    return try MPICommunicator()
  }

  init() throws {
    var provided: Int32 = 0
    // Only the training thread calls MPI.
    try Self.check(MPI_Init_thread(nil, nil, Int32(MPI_THREAD_FUNNELED), &provided), "MPI_Init_thread")
    var rank: Int32 = 0
    var size: Int32 = 0
    try Self.check(MPI_Comm_rank(nnc_mpi_comm_world(), &rank), "MPI_Comm_rank")
    try Self.check(MPI_Comm_size(nnc_mpi_comm_world(), &size), "MPI_Comm_size")
    self.rank = Int(rank)
    self.size = Int(size)
  }

  /// Ends MPI at a normal exit, once every rank finished its work.
  public func finish() {
    MPI_Finalize()
  }

  static func check(_ code: Int32, _ call: String) throws {
    guard code != MPI_SUCCESS else { return }
    throw TrainError("\(call) failed with MPI error \(code)")
  }

  public func sum(_ values: UnsafeMutableBufferPointer<Float>) throws {
    try Self.chunks(values.count) { start, count in
      try Self.check(
        MPI_Allreduce(
          nnc_mpi_in_place(), values.baseAddress! + start, count, nnc_mpi_float(), nnc_mpi_sum(),
          nnc_mpi_comm_world()), "MPI_Allreduce")
    }
  }

  public func sum(_ values: UnsafeMutableBufferPointer<Double>) throws {
    try Self.chunks(values.count) { start, count in
      try Self.check(
        MPI_Allreduce(
          nnc_mpi_in_place(), values.baseAddress! + start, count, nnc_mpi_double(), nnc_mpi_sum(),
          nnc_mpi_comm_world()), "MPI_Allreduce")
    }
  }

  /// `MPI_Iallreduce`, in place. Open MPI runs it with the same algorithm whenever it starts, so a
  /// bucket started during backward sums to the bits it sums to after backward.
  public func startSum(_ values: UnsafeMutableBufferPointer<Float>) throws {
    try Self.chunks(values.count) { start, count in
      var request: MPI_Request?
      try Self.check(
        MPI_Iallreduce(
          nnc_mpi_in_place(), values.baseAddress! + start, count, nnc_mpi_float(), nnc_mpi_sum(),
          nnc_mpi_comm_world(), &request), "MPI_Iallreduce")
      pendingSums.append(request)
    }
  }

  /// `MPI_Testall`: Open MPI has no progress thread here (`ompi_info`: "OMPI progress: no"), so a
  /// started sum advances only while some MPI call runs.
  public func progressSums() throws {
    guard !pendingSums.isEmpty else { return }
    var complete: Int32 = 0
    try Self.check(
      MPI_Testall(Int32(pendingSums.count), &pendingSums, &complete, nnc_mpi_statuses_ignore()), "MPI_Testall"
    )
    if complete != 0 { pendingSums.removeAll(keepingCapacity: true) }
  }

  public func waitForSums() throws {
    guard !pendingSums.isEmpty else { return }
    defer { pendingSums.removeAll(keepingCapacity: true) }
    try Self.check(
      MPI_Waitall(Int32(pendingSums.count), &pendingSums, nnc_mpi_statuses_ignore()), "MPI_Waitall")
  }

  public func broadcast(_ values: UnsafeMutableBufferPointer<Float>) throws {
    try Self.chunks(values.count) { start, count in
      try Self.check(
        MPI_Bcast(values.baseAddress! + start, count, nnc_mpi_float(), 0, nnc_mpi_comm_world()), "MPI_Bcast")
    }
  }

  public func broadcast(bytes: [UInt8]) throws -> [UInt8] {
    try broadcast(bytes: bytes, from: 0)
  }

  /// One broadcast per rank: simple, and large messages are cut into MPI's 32-bit counts as
  /// everywhere else (gathering predictions is not on the training step's path).
  public func allGather(bytes: [UInt8]) throws -> [[UInt8]] {
    try (0..<size).map { try broadcast(bytes: bytes, from: $0) }
  }

  /// `root`'s bytes on every rank (the argument is ignored elsewhere).
  func broadcast(bytes: [UInt8], from root: Int) throws -> [UInt8] {
    var length = [Double(bytes.count)]
    try length.withUnsafeMutableBufferPointer { buffer in
      try Self.check(
        MPI_Bcast(buffer.baseAddress!, 1, nnc_mpi_double(), Int32(root), nnc_mpi_comm_world()), "MPI_Bcast")
    }
    var received = rank == root ? bytes : [UInt8](repeating: 0, count: Int(length[0]))
    try received.withUnsafeMutableBufferPointer { buffer in
      try Self.chunks(buffer.count) { start, count in
        try Self.check(
          MPI_Bcast(buffer.baseAddress! + start, count, nnc_mpi_byte(), Int32(root), nnc_mpi_comm_world()),
          "MPI_Bcast")
      }
    }
    return received
  }

  public func allEqual(_ value: UInt64) throws -> Bool {
    // The sum of every rank's difference from rank 0's value is zero only when all are equal
    // (the differences are taken as doubles of the two 32-bit halves, so none cancels).
    var root = [Double(value >> 32), Double(value & 0xFFFF_FFFF)]
    try root.withUnsafeMutableBufferPointer { buffer in
      try Self.check(
        MPI_Bcast(buffer.baseAddress!, 2, nnc_mpi_double(), 0, nnc_mpi_comm_world()), "MPI_Bcast")
    }
    var differences = [
      abs(Double(value >> 32) - root[0]) + abs(Double(value & 0xFFFF_FFFF) - root[1])
    ]
    try sum(&differences)
    return differences[0] == 0
  }

  public func abort(_ message: String) -> Never {
    writeStandardError("rank \(rank) of \(size): \(message)\n")
    MPI_Abort(nnc_mpi_comm_world(), 1)
    exit(1)
  }

  /// Calls `body` on pieces of at most `Int32.max` elements (MPI counts are 32-bit).
  static func chunks(_ count: Int, _ body: (Int, Int32) throws -> Void) throws {
    var start = 0
    while start < count {
      let piece = min(count - start, Int(Int32.max))
      try body(start, Int32(piece))
      start += piece
    }
  }
}
