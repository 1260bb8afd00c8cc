import Foundation

#if canImport(Glibc)
  import Glibc
#endif

/// OpenBLAS 0.3.21 (Debian's) does not recognize recent Xeons (CPU model 207) and falls back to its
/// Prescott (SSE3) kernels, a quarter of the machine's SGEMM speed. It picks its kernels when the
/// library loads, before any of our code runs, reading `OPENBLAS_CORETYPE`. So when that variable is
/// unset and the CPU has AVX-512 (or AVX2), `nnc` sets it and re-executes itself once. A user's own
/// setting always wins.
enum BLASCore {
  static let variable = "OPENBLAS_CORETYPE"

  static func selectBeforeStart() {
    #if os(Linux)
      guard ProcessInfo.processInfo.environment[variable] == nil,
        let cpuinfo = try? String(contentsOfFile: "/proc/cpuinfo", encoding: .utf8),
        let flagsLine = cpuinfo.split(separator: "\n").first(where: { $0.hasPrefix("flags") })
      else { return }
      let flags = Set(flagsLine.split(separator: " ").map(String.init))
      let core: String
      if flags.contains("avx512f") && flags.contains("avx512bw") && flags.contains("avx512vl") {
        core = "SkylakeX"
      } else if flags.contains("avx2") && flags.contains("fma") {
        core = "Haswell"
      } else {
        return
      }
      setenv(variable, core, 1)
      let arguments = CommandLine.arguments
      var pointers = arguments.map { strdup($0) }
      pointers.append(nil)
      execv("/proc/self/exe", pointers)
    // execv returns only on failure: run on with the kernels OpenBLAS chose.
    #endif
  }
}
