import Foundation

#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// An exclusive lock on a run directory (flock on its `.lock` file), held while a training runs,
/// so two runs cannot interleave their history and checkpoints. The kernel drops the lock when the
/// process ends, however it ends, so a killed run never leaves the directory locked.
public final class RunDirectoryLock {
  public static let fileName = ".lock"
  private let descriptor: Int32

  /// Takes the lock at once or throws a `TrainError` naming the directory.
  public init(directory: String) throws {
    let path = directory + "/" + Self.fileName
    let descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o644)
    guard descriptor >= 0 else {
      throw TrainError("cannot create the lock file \(path): \(String(cString: strerror(errno)))")
    }
    guard flock(descriptor, LOCK_EX | LOCK_NB) == 0 else {
      let busy = errno == EWOULDBLOCK
      let reason = String(cString: strerror(errno))
      close(descriptor)
      throw TrainError(
        busy
          ? "the run directory \(directory) is in use by another training; wait for it or give another --run-dir"
          : "cannot lock the run directory \(directory): \(reason)")
    }
    self.descriptor = descriptor
  }

  /// Unlocks before closing: a child forked elsewhere in the process (tests spawn `nnc` while
  /// others lock) shares the open file until it execs, and a close alone leaves the lock held for
  /// as long as that copy lives; LOCK_UN drops it for every copy at once.
  deinit {
    flock(descriptor, LOCK_UN)
    close(descriptor)
  }
}
