#if canImport(Glibc)
  import Glibc
#elseif canImport(Darwin)
  import Darwin
#endif

/// The learning rate as a pure function of training progress: an optional linear warm-up followed
/// by a decay rule. Being pure, it needs no state in checkpoints: a resumed run recomputes it.
public struct LearningRateSchedule: Sendable, Equatable {
  /// What the schedule counts: epochs or optimizer steps (batches).
  public enum Unit: String, Sendable, Equatable {
    case epoch
    case step
  }

  /// The decay applied after warm-up. `t` below is the number of units elapsed since warm-up ended.
  public enum Decay: Sendable, Equatable {
    /// `lr = base`.
    case constant
    /// `lr = base * gamma^floor(t / every)`.
    case step(every: Int, gamma: Double)
    /// `lr = base * gamma^t`.
    case exponential(gamma: Double)
    /// `lr = min + (base - min) (1 + cos(pi t / T)) / 2` with `T = total - warmup`, where `total` is
    /// the length of the whole run in units (warm-up included); after `T` the rate stays at `min`.
    case cosine(total: Int, minimum: Double = 0)
    /// `lr = base * gamma^(number of milestones m with t >= m)`; milestones increase.
    case multistep(milestones: [Int], gamma: Double)
    /// Caffe's `inv`: `lr = base * (1 + gamma t)^-power`.
    case inverse(gamma: Double, power: Double)
    /// Caffe's and Darknet's `poly`: `lr = base * (1 - t / T)^power` with `T` the run's steps
    /// (`totalEpochs` times the steps per epoch) after any warm-up that shifts the decay.
    case poly(totalEpochs: Int, power: Double)
  }

  public var base: Double
  public var decay: Decay
  public var unit: Unit
  /// Length of the warm-up in `warmupUnit`s; 0 disables it.
  public var warmup: Int
  /// The unit of `warmup`.
  public var warmupUnit: Unit
  /// The warm-up rises as `((s + 1) / W)^warmupPower`: 1 is linear, 4 is Darknet's default.
  public var warmupPower: Double
  /// Whether the decay starts after the warm-up (`train.warmup_epochs`) or counts from the first
  /// step regardless (`train.warmup_steps`, as Darknet's `burn_in`).
  public var warmupShiftsDecay: Bool

  public init(
    base: Double, decay: Decay = .constant, unit: Unit = .epoch, warmup: Int = 0, warmupUnit: Unit? = nil,
    warmupPower: Double = 1, warmupShiftsDecay: Bool = true
  ) {
    self.base = base
    self.decay = decay
    self.unit = unit
    self.warmup = warmup
    self.warmupUnit = warmupUnit ?? unit
    self.warmupPower = warmupPower
    self.warmupShiftsDecay = warmupShiftsDecay
  }

  /// Checks the parameters once, when the spec is loaded, so training never meets a bad schedule.
  public func validate() throws {
    guard base > 0, base.isFinite else {
      throw TrainError("learning rate must be a positive number, got \(base)")
    }
    guard warmup >= 0 else { throw TrainError("warm-up must be >= 0, got \(warmup)") }
    switch decay {
    case .constant: break
    case .step(let every, let gamma):
      guard every > 0 else { throw TrainError("step schedule: 'every' must be > 0, got \(every)") }
      guard gamma > 0 else { throw TrainError("step schedule: gamma must be > 0, got \(gamma)") }
    case .exponential(let gamma):
      guard gamma > 0 else { throw TrainError("exponential schedule: gamma must be > 0, got \(gamma)") }
    case .cosine(let total, let minimum):
      guard total > 0 else { throw TrainError("cosine schedule: total must be > 0, got \(total)") }
      guard minimum >= 0, minimum <= base else {
        throw TrainError("cosine schedule: min_lr must be in [0, \(base)], got \(minimum)")
      }
    case .multistep(let milestones, let gamma):
      guard gamma > 0 else { throw TrainError("multistep schedule: gamma must be > 0, got \(gamma)") }
      guard zip(milestones, milestones.dropFirst()).allSatisfy({ $0 < $1 }) else {
        throw TrainError("multistep schedule: milestones must increase, got \(milestones)")
      }
    case .inverse(let gamma, let power):
      guard gamma >= 0, power >= 0 else {
        throw TrainError("inv schedule: gamma and power must be >= 0, got \(gamma) and \(power)")
      }
    case .poly(let total, let power):
      guard total > 0 else { throw TrainError("poly schedule: total must be > 0, got \(total)") }
      guard power >= 0 else { throw TrainError("poly schedule: power must be >= 0, got \(power)") }
    }
    guard warmupPower > 0, warmupPower.isFinite else {
      throw TrainError("warm-up power must be a positive number, got \(warmupPower)")
    }
  }

  /// The rate for step `step` (0-based, counted within the epoch) of epoch `epoch` (0-based).
  ///
  /// Warm-up rises linearly per step, `base * (s + 1) / W` at global step `s` with `W` the warm-up
  /// in steps (`warmup * stepsPerEpoch` for an epoch unit), so it is smooth even when counted in
  /// epochs. After it, an epoch-unit decay changes once per epoch and a step-unit decay every step.
  public func learningRate(epoch: Int, step: Int, stepsPerEpoch: Int) -> Float {
    let perEpoch = max(stepsPerEpoch, 1)
    // `check` bounds warm-up and epochs, but a schedule built by hand may not be: a count past Int
    // saturates (the warm-up then simply never ends) instead of trapping.
    let globalStep = Self.saturating(Self.saturating(epoch, times: perEpoch), plus: step)
    let warmupSteps = warmupUnit == .epoch ? Self.saturating(warmup, times: perEpoch) : warmup
    // The decay's clock starts after a shifting warm-up, in the decay's unit.
    let shiftSteps = warmupShiftsDecay ? warmupSteps : 0
    let shift = unit == .epoch ? (warmupShiftsDecay ? warmup : 0) : shiftSteps
    if globalStep < warmupSteps {
      let fraction = (Double(globalStep) + 1) / Double(warmupSteps)
      let rise = warmupPower == 1 ? fraction : pow(fraction, warmupPower)
      return Float(rate(after: 0, perEpoch: perEpoch, shiftSteps: shiftSteps) * rise)
    }
    let elapsed = unit == .epoch ? epoch - shift : Self.saturating(globalStep, plus: -shift)
    return Float(rate(after: max(elapsed, 0), perEpoch: perEpoch, shiftSteps: shiftSteps))
  }

  static func saturating(_ a: Int, times b: Int) -> Int {
    let (product, overflow) = a.multipliedReportingOverflow(by: b)
    return overflow ? ((a < 0) != (b < 0) ? Int.min : Int.max) : product
  }

  static func saturating(_ a: Int, plus b: Int) -> Int {
    let (sum, overflow) = a.addingReportingOverflow(b)
    return overflow ? (b < 0 ? Int.min : Int.max) : sum
  }

  private func rate(after t: Int, perEpoch: Int, shiftSteps: Int) -> Double {
    switch decay {
    case .constant:
      return base
    case .step(let every, let gamma):
      return base * pow(gamma, Double(t / max(every, 1)))
    case .exponential(let gamma):
      return base * pow(gamma, Double(t))
    case .cosine(let total, let minimum):
      let span = total - warmup
      guard span > 0 else { return minimum }
      let progress = Double(min(t, span)) / Double(span)
      return minimum + (base - minimum) * (1 + cos(Double.pi * progress)) / 2
    case .multistep(let milestones, let gamma):
      return base * pow(gamma, Double(milestones.filter { t >= $0 }.count))
    case .inverse(let gamma, let power):
      return base * pow(1 + gamma * Double(t), -power)
    case .poly(let totalEpochs, let power):
      let span = Self.saturating(Self.saturating(totalEpochs, times: perEpoch), plus: -shiftSteps)
      guard span > 0 else { return 0 }
      return base * pow(1 - Double(min(t, span)) / Double(span), power)
    }
  }
}
