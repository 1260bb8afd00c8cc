/// The largest value every integer a spec gives may take (the README's "Limits" table). Sizes are
/// multiplied together and summed across layers, so unbounded ones would overflow `Int` long before
/// any kernel ran; these bounds are far above any real model and keep every single product exact.
public enum Limits {
  /// Filters, units, groups, channels, input dimensions, classes.
  public static let size = 1 << 24
  /// Kernel sizes, strides, dilations, paddings, pooling windows, upsampling factors.
  public static let window = 1 << 16
  /// Epochs, warm-up epochs, patience and decay intervals.
  public static let epochs = 1_000_000
  /// Optimizer steps (`warmup_steps`, `every_steps`, `milestone_steps`): epochs times steps per epoch.
  public static let steps = 1 << 40
  public static let batchSize = 1 << 20
  /// Exponents of schedules and warm-up (`power`, `warmup_power`).
  public static let power = 64
  /// Random seeds: exact as a double, as JSON readers of the training log hold them.
  public static let seed = 1 << 53
  public static let threads = 4096
  /// `train.allreduce_bucket_mb`: one all-reduce message of a data-parallel run.
  public static let allreduceBucketMB = 4096
  /// Sample counts (`limit_per_class`) and CSV columns.
  public static let samples = 1 << 40
  public static let column = 1 << 20
  /// `data.max_image_pixels`: a gigapixel image decodes to 4 GiB of RGBA, still addressable by the codecs.
  public static let imagePixels = 1 << 30
  /// `data.workers` (loader threads) and `data.prefetch` (assembled batches waiting for the step).
  public static let loaderWorkers = 256
  public static let prefetchBatches = 1024
  /// `repeat` counts; the expansion work is also bounded as a whole (see `expansionLimit`).
  public static let repeatCount = 10_000
  /// Layers the model may expand to.
  public static let layers = 200_000
  /// Steps of block and repeat expansion, counting bodies that add no layers.
  public static let expansionSteps = 1_000_000
  /// Per sample: parameters, activation elements (every value summed) and forward FLOPs. With a
  /// batch of at most `batchSize`, byte counts of activations and gradients stay far below `Int.max`.
  public static let elements = 1 << 36
  public static let flops = 1 << 42
}
