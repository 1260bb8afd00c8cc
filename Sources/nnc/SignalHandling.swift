import ArgumentParser
import Foundation
import NNCData
import NNCTrain

/// What SIGINT, SIGTERM and SIGXFSZ do to a command.
enum SignalHandling {
  /// Training records the signal and stops at the next step boundary, keeping a resumable
  /// checkpoint; a second signal exits at once.
  static func installForTraining() {
    _ = Interruption.signal  // initializes the flag before a handler can touch it
    PendingTemporaries.prepare()
    signal(SIGINT, recordOrExit)
    signal(SIGTERM, recordOrExit)
    unblockTerminationSignals()
  }

  /// A parent may start us with these signals blocked (the mask is inherited), which would leave
  /// them pending forever.
  static func unblockTerminationSignals() {
    var signals = sigset_t()
    sigemptyset(&signals)
    sigaddset(&signals, SIGINT)
    sigaddset(&signals, SIGTERM)
    pthread_sigmask(SIG_UNBLOCK, &signals, nil)
  }

  /// `eval` and `bench` have nothing to save: they exit at once with 128 + the signal. Their output
  /// files are written to a temporary name and renamed, so none is left half-written.
  static func installExitAtOnce() {
    PendingTemporaries.prepare()
    signal(SIGINT, removeTemporariesAndExit)
    signal(SIGTERM, removeTemporariesAndExit)
    unblockTerminationSignals()
  }

  /// Beyond `ulimit -f`, a write then fails with EFBIG, reported like any other write error, instead
  /// of the process being killed without a word.
  static func ignoreFileSizeLimitSignal() {
    signal(SIGXFSZ, SIG_IGN)
  }

  /// The shell's convention for a run ended by a signal: 130 for SIGINT, 143 for SIGTERM.
  static func exitCode(for signal: Int32) -> ExitCode { ExitCode(128 + signal) }
}

private func recordOrExit(_ signal: Int32) {
  if Interruption.signal != 0 { removeTemporariesAndExit(signal) }
  Interruption.record(signal)
}

/// Only async-signal-safe calls: unlink(2) of preregistered paths, then _exit(2).
private func removeTemporariesAndExit(_ signal: Int32) {
  PendingTemporaries.removeAll()
  _exit(128 + signal)
}
