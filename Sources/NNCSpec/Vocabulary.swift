/// Every word a spec may use: layers, losses, optimizers, schedules, metrics, augmentations, and the
/// keys of the `data` and `train` sections. Adding a layer means adding its signature here and its op
/// family in NNCGraph and NNCRuntime.
public enum Vocabulary {
  /// The one table of activations: the checker, the graph (`Activation`) and the runtime read every
  /// per-activation fact from here; only the math itself lives in the runtime's kernels.
  public static let activations: [ActivationDefinition] = [
    ActivationDefinition("linear", flopsPerElement: 0, gradient: .fromOutput, doc: "the identity"),
    ActivationDefinition(
      "relu", flopsPerElement: 1, gradient: .fromOutput, rectifying: true, doc: "max(x, 0)"),
    ActivationDefinition(
      "relu6", flopsPerElement: 1, gradient: .fromOutput, rectifying: true, doc: "min(max(x, 0), 6)"),
    ActivationDefinition("sigmoid", flopsPerElement: 4, gradient: .fromOutput, doc: "1 / (1 + e^-x)"),
    ActivationDefinition("tanh", flopsPerElement: 4, gradient: .fromOutput, doc: "hyperbolic tangent"),
    ActivationDefinition(
      "leaky_relu", alpha: 0.01, flopsPerElement: 1, gradient: .fromOutputWhenAlphaNonNegative,
      rectifying: true, doc: "x if x > 0 else alpha * x"),
    ActivationDefinition(
      "elu", alpha: 1.0, flopsPerElement: 4, gradient: .fromOutputWhenAlphaNonNegative,
      rectifying: true, doc: "x if x > 0 else alpha * (e^x - 1)"),
    ActivationDefinition(
      "softmax", flopsPerElement: 8, gradient: .fromOutput,
      doc: "normalized exponentials over the last axis or channels"),
    ActivationDefinition(
      "gelu", flopsPerElement: 8, gradient: .fromInput, rectifying: true,
      arguments: [
        Parameter(
          "approximate", .choice(["tanh", "none"]), default: .string("tanh"),
          doc:
            "tanh: 0.5 x (1 + tanh(sqrt(2/pi) (x + 0.044715 x^3))); none: the exact 0.5 x (1 + erf(x / sqrt(2))) "
            + "(PyTorch's default)")
      ], doc: "x * Phi(x), by default with the tanh approximation"),
    ActivationDefinition(
      "silu", flopsPerElement: 4, gradient: .fromInput, rectifying: true, doc: "x * sigmoid(x)"),
    ActivationDefinition(
      "hard_sigmoid", flopsPerElement: 1, gradient: .fromOutput, doc: "clamp(x / 6 + 1/2, 0, 1)"),
  ]

  public static let activationNames = activations.map(\.name)

  /// What `activation:` of a convolution or dense layer takes: every activation with the arguments
  /// it takes as a layer (`{leaky_relu: {alpha: 0.1}}`; `elu(0.5)` in `.nnc`).
  public static let activationCalls: [Signature] = activations.map { definition in
    let layer = activationLayer(definition)
    let own = layer.parameters.filter { parameter in !common.contains { $0.name == parameter.name } }
    return Signature(definition.name, positional: layer.positional, own, doc: definition.doc)
  }

  public static func activation(named name: String) -> ActivationDefinition? {
    activations.first { $0.name == name }
  }

  // Arguments every layer accepts.
  static let common: [Parameter] = [
    Parameter("name", .string, doc: "a name for the layer, used in summaries and for freezing"),
    Parameter("trainable", .bool, default: .bool(true), doc: "false freezes the layer's parameters"),
  ]

  /// Weight and bias initializers (`init`, `bias_init`): a word, or a call with arguments.
  public static let initializers: [Signature] = [
    Signature("he_normal", [], doc: "N(0, 2 / fan_in), untruncated (PyTorch's kaiming_normal_)"),
    Signature("he_uniform", [], doc: "U(-a, a), a = sqrt(6 / fan_in)"),
    Signature("glorot_uniform", [], doc: "U(-a, a), a = sqrt(6 / (fan_in + fan_out))"),
    Signature("glorot_normal", [], doc: "N(0, 2 / (fan_in + fan_out)), untruncated"),
    Signature("zeros", []),
    Signature("ones", []),
    Signature(
      "xavier", positional: ["variance_norm"],
      [
        Parameter(
          "variance_norm", .choice(["fan_in", "fan_out", "average"]), default: .string("fan_in"),
          doc: "n in a = sqrt(3 / n): the fan-in (Caffe's default), the fan-out or their mean")
      ], doc: "Caffe's xavier: U(-a, a), a = sqrt(3 / n); with average it is glorot_uniform"),
    Signature("lecun_normal", [], doc: "N(0, 1 / fan_in), untruncated"),
    Signature("lecun_uniform", [], doc: "U(-a, a), a = sqrt(3 / fan_in)"),
    Signature(
      "normal", positional: ["std"],
      [
        Parameter("std", .number, required: true, min: Bound(0)),
        Parameter("mean", .number, default: .number(0)),
      ], doc: "N(mean, std^2) (Caffe's gaussian)"),
    Signature(
      "uniform", positional: ["low"],
      [Parameter("low", .number, required: true), Parameter("high", .number, required: true)],
      doc: "U(low, high)"),
    Signature(
      "constant", positional: ["value"], [Parameter("value", .number, required: true)],
      doc: "every element the same value"),
    Signature(
      "orthogonal", positional: ["gain"],
      [Parameter("gain", .number, default: .number(1), min: Bound(0, inclusive: false))],
      doc: "a random orthogonal matrix [out, fan_in] times gain (Saxe et al.; PyTorch's orthogonal_)"),
  ]

  static let positive = Bound(1)
  static let maxSize = Bound(Double(Limits.size))
  static let maxWindow = Bound(Double(Limits.window))
  static let maxEpochs = Bound(Double(Limits.epochs))
  static let maxSteps = Bound(Double(Limits.steps))
  static let maxPower = Bound(Double(Limits.power))

  static func convolutionParameters(filters: Bool, depthMultiplier: Bool) -> [Parameter] {
    var parameters: [Parameter] = []
    if filters {
      parameters.append(
        Parameter(
          "filters", .int, required: true, min: positive, max: maxSize, doc: "output channels"))
    }
    parameters += [
      Parameter("kernel", .intOrPair, required: true, min: positive, max: maxWindow, doc: "kernel size"),
      Parameter("stride", .intOrPair, default: .int(1), min: positive, max: maxWindow),
      Parameter("padding", .padding, default: .string("valid"), min: Bound(0), max: maxWindow),
      Parameter("dilation", .intOrPair, default: .int(1), min: positive, max: maxWindow),
    ]
    if depthMultiplier {
      parameters.append(Parameter("depth_multiplier", .int, default: .int(1), min: positive, max: maxWindow))
    }
    if filters && !depthMultiplier {
      parameters.append(Parameter("groups", .int, default: .int(1), min: positive, max: maxSize))
    }
    parameters += [
      Parameter("bias", .bool, default: .bool(true)),
      Parameter("activation", .call(activationCalls), default: .string("linear")),
      Parameter("init", .call(initializers), doc: "weight initializer (default depends on activation)"),
      Parameter("bias_init", .call(initializers), doc: "bias initializer (default zeros)"),
    ]
    return parameters + common
  }

  static func pooling(_ name: String, doc: String) -> Signature {
    Signature(
      name, positional: ["size"],
      [
        Parameter("size", .intOrPair, default: .int(2), min: positive, max: maxWindow, doc: "window size"),
        Parameter(
          "stride", .intOrPair, min: positive, max: maxWindow, doc: "defaults to the window size"),
        Parameter("padding", .padding, default: .string("valid"), min: Bound(0), max: maxWindow),
        Parameter(
          "ceil_mode", .bool, default: .bool(false),
          doc: "round the output size up (Caffe, PyTorch ceil_mode); the last window starts inside the input"),
      ] + common, doc: doc)
  }

  static func activationLayer(_ definition: ActivationDefinition) -> Signature {
    var parameters = definition.arguments + common
    var positional: [String] = []
    if let alpha = definition.defaultAlpha {
      parameters.insert(Parameter("alpha", .number, default: .number(alpha)), at: 0)
      positional = ["alpha"]
    }
    return Signature(definition.name, positional: positional, parameters, doc: definition.doc)
  }

  /// Layers by name.
  public static let layers: [String: Signature] = {
    var list: [Signature] = [
      Signature(
        "conv2d", positional: ["filters", "kernel"],
        convolutionParameters(filters: true, depthMultiplier: false), doc: "2-D convolution"),
      Signature(
        "depthwise_conv2d", positional: ["kernel"],
        convolutionParameters(filters: false, depthMultiplier: true),
        doc: "one filter (or depth_multiplier filters) per input channel"),
      Signature(
        "separable_conv2d", positional: ["filters", "kernel"],
        convolutionParameters(filters: true, depthMultiplier: true),
        doc: "depthwise convolution followed by a 1x1 pointwise convolution"),
      pooling("maxpool", doc: "maximum over each window"),
      pooling("avgpool", doc: "mean over each window (padding excluded from the count)"),
      Signature("global_avgpool", common, doc: "mean over all positions: [N,C,H,W] -> [N,C]"),
      Signature("global_maxpool", common, doc: "maximum over all positions: [N,C,H,W] -> [N,C]"),
      Signature("flatten", common, doc: "[N,C,H,W] -> [N,C*H*W]"),
      Signature(
        "dense", positional: ["units"],
        [
          Parameter("units", .int, required: true, min: positive, max: maxSize),
          Parameter("bias", .bool, default: .bool(true)),
          Parameter("activation", .call(activationCalls), default: .string("linear")),
          Parameter("init", .call(initializers)),
          Parameter("bias_init", .call(initializers), doc: "bias initializer (default zeros)"),
        ] + common, doc: "fully connected layer"),
      Signature(
        "dropout", positional: ["rate"],
        [Parameter("rate", .number, required: true, min: Bound(0), max: Bound(1, inclusive: false))]
          + common, doc: "inverted dropout; off at inference"),
      Signature(
        "batchnorm",
        [
          Parameter("epsilon", .number, default: .number(1e-5), min: Bound(0, inclusive: false)),
          Parameter(
            "momentum", .number, default: .number(0.1), min: Bound(0), max: Bound(1),
            doc: "weight of the batch statistics in the running averages"),
          Parameter("scale", .bool, default: .bool(true), doc: "learn a per-channel scale (gamma)"),
          Parameter("center", .bool, default: .bool(true), doc: "learn a per-channel shift (beta)"),
        ] + common, doc: "batch normalization over N, H and W per channel"),
      Signature(
        "zero_padding2d", positional: ["padding"],
        [
          Parameter(
            "padding", .either([.intOrPair, .list(.list(.int))]), default: .int(1), min: Bound(0),
            max: maxWindow,
            doc: "p on every side, [h, w], or [[top, bottom], [left, right]]")
        ] + common, doc: "zeros around every channel (Keras ZeroPadding2D)"),
      Signature(
        "upsample", positional: ["scale"],
        [
          Parameter(
            "scale", .int, default: .int(2), min: positive, max: maxWindow, doc: "height and width factor"),
          Parameter(
            "mode", .choice(["nearest", "bilinear"]), default: .string("nearest"),
            doc: "bilinear samples as PyTorch's align_corners=False (ONNX half_pixel)"),
        ] + common, doc: "enlarge every channel by an integer factor"),
      Signature(
        "lrn", positional: ["size"],
        [
          Parameter(
            "size", .int, required: true, min: positive, max: maxWindow,
            doc: "channels in the window, odd: (size - 1) / 2 on each side of the channel"),
          Parameter(
            "alpha", .number, default: .number(1e-4), min: Bound(0), doc: "scale of the window's mean square"),
          Parameter("beta", .number, default: .number(0.75), min: Bound(0), max: maxPower, doc: "exponent"),
          Parameter(
            "bias", .number, default: .number(1), min: Bound(0, inclusive: false), doc: "k, added first"),
        ] + common,
        doc: "local response normalization across channels: x / (bias + alpha / size * sum of x^2 over the "
          + "window)^beta (AlexNet, GoogLeNet, Caffe; ONNX LRN)"),
    ]
    list += activations.map(activationLayer)
    return Dictionary(uniqueKeysWithValues: list.map { ($0.name, $0) })
  }()

  /// Words that are structure, not layers.
  public static let structuralKeywords = ["residual", "concat", "repeat", "branch", "shortcut", "layers"]

  public static let losses: [Signature] = [
    Signature(
      "cross_entropy",
      [
        Parameter(
          "label_smoothing", .number, default: .number(0), min: Bound(0), max: Bound(1, inclusive: false)),
        Parameter("class_weights", .list(.number)),
        Parameter(
          "from_logits", .bool, default: .bool(true),
          doc: "true: the model ends in logits and softmax is fused into the loss"),
      ], doc: "categorical cross-entropy on integer labels"),
    Signature(
      "binary_cross_entropy",
      [
        Parameter("from_logits", .bool, default: .bool(true)),
        Parameter(
          "pos_weight", .numberOrList, min: Bound(0),
          doc: "weight of the positive term: one number, or one per label"),
      ], doc: "for one output unit or multi-label"),
    Signature("mse", [], doc: "mean squared error against one-hot labels or targets"),
    Signature("mae", [], doc: "mean absolute error against targets"),
    Signature(
      "huber", positional: ["delta"],
      [Parameter("delta", .number, default: .number(1), min: Bound(0, inclusive: false))],
      doc: "squared error below delta, absolute error above it"),
  ]

  static let decay = Parameter("weight_decay", .number, default: .number(0), min: Bound(0))
  static let learningRate = Parameter("lr", .number, default: .number(0.01), min: Bound(0, inclusive: false))

  public static let optimizers: [Signature] = [
    Signature(
      "gd", positional: ["lr"], [learningRate, decay], doc: "full-batch gradient descent"),
    Signature(
      "sgd", positional: ["lr"],
      [
        learningRate,
        Parameter("momentum", .number, default: .number(0), min: Bound(0), max: Bound(1, inclusive: false)),
        Parameter("nesterov", .bool, default: .bool(false)), decay,
      ], doc: "mini-batch stochastic gradient descent"),
    Signature(
      "rmsprop", positional: ["lr"],
      [
        Parameter("lr", .number, default: .number(0.001), min: Bound(0, inclusive: false)),
        Parameter("rho", .number, default: .number(0.9), min: Bound(0), max: Bound(1, inclusive: false)),
        Parameter("momentum", .number, default: .number(0), min: Bound(0), max: Bound(1, inclusive: false)),
        Parameter("epsilon", .number, default: .number(1e-8), min: Bound(0, inclusive: false)), decay,
      ]),
    Signature(
      "adam", positional: ["lr"],
      [
        Parameter("lr", .number, default: .number(0.001), min: Bound(0, inclusive: false)),
        Parameter("beta1", .number, default: .number(0.9), min: Bound(0), max: Bound(1, inclusive: false)),
        Parameter("beta2", .number, default: .number(0.999), min: Bound(0), max: Bound(1, inclusive: false)),
        Parameter("epsilon", .number, default: .number(1e-8), min: Bound(0, inclusive: false)), decay,
      ]),
    Signature(
      "adamw", positional: ["lr"],
      [
        Parameter("lr", .number, default: .number(0.001), min: Bound(0, inclusive: false)),
        Parameter("beta1", .number, default: .number(0.9), min: Bound(0), max: Bound(1, inclusive: false)),
        Parameter("beta2", .number, default: .number(0.999), min: Bound(0), max: Bound(1, inclusive: false)),
        Parameter("epsilon", .number, default: .number(1e-8), min: Bound(0, inclusive: false)),
        Parameter("weight_decay", .number, default: .number(0.01), min: Bound(0)),
      ], doc: "Adam with decoupled weight decay"),
  ]

  public static let schedules: [Signature] = [
    Signature("constant", []),
    Signature(
      "step",
      [
        Parameter("every", .int, min: positive, max: maxEpochs, doc: "epochs between decays"),
        Parameter(
          "every_steps", .int, min: positive, max: maxSteps,
          doc: "optimizer steps between decays (Caffe's stepsize), instead of every"),
        Parameter("gamma", .number, default: .number(0.1), min: Bound(0, inclusive: false)),
      ]),
    Signature(
      "multistep",
      [
        Parameter(
          "milestones", .list(.int), min: positive, max: maxEpochs,
          doc: "epochs after which the rate is multiplied by gamma, increasing"),
        Parameter(
          "milestone_steps", .list(.int), min: positive, max: maxSteps,
          doc: "optimizer steps instead (Caffe's stepvalue), increasing"),
        Parameter("gamma", .number, default: .number(0.1), min: Bound(0, inclusive: false)),
      ], doc: "multiply the rate by gamma at each milestone"),
    Signature(
      "inv",
      [
        Parameter("gamma", .number, required: true, min: Bound(0)),
        Parameter("power", .number, required: true, min: Bound(0), max: maxPower),
      ], doc: "Caffe's inv: lr * (1 + gamma * step)^-power, per optimizer step"),
    Signature(
      "poly",
      [Parameter("power", .number, default: .number(1), min: Bound(0), max: maxPower)],
      doc: "lr * (1 - step / steps of the run)^power, per optimizer step (Caffe, Darknet)"),
    Signature(
      "exponential", [Parameter("gamma", .number, required: true, min: Bound(0, inclusive: false))]),
    Signature("cosine", [Parameter("min_lr", .number, default: .number(0), min: Bound(0))]),
    Signature(
      "plateau",
      [
        Parameter(
          "factor", .number, default: .number(0.1), min: Bound(0, inclusive: false),
          max: Bound(1, inclusive: false),
          doc: "multiplies the rate when the monitored metric stalls"),
        Parameter(
          "patience", .int, default: .int(3), min: Bound(0), max: maxEpochs,
          doc: "epochs without improvement first"),
        Parameter("monitor", .string, default: .string("val_loss")),
        Parameter("min_lr", .number, default: .number(0), min: Bound(0)),
      ], doc: "reduce on plateau"),
  ]

  static let averages = ["macro", "micro", "weighted", "binary", "samples"]
  static let average = Parameter(
    "average", .choice(averages), default: .string("macro"),
    doc: "how per-class scores combine; binary: the positive class alone (two classes); samples: per "
      + "sample, then averaged (multi-label)")
  static let positiveClass = Parameter(
    "positive_class", .int, min: Bound(0), max: maxSize,
    doc: "the class that 'binary' averages report (default 1); the same for every metric")

  public static let metrics: [Signature] = [
    Signature("accuracy", []),
    Signature("balanced_accuracy", [], doc: "the mean recall over classes that occur"),
    Signature(
      "top_k_accuracy", positional: ["k"],
      [Parameter("k", .int, default: .int(5), min: positive, max: maxSize)]),
    Signature("precision", [average, positiveClass]),
    Signature("recall", [average, positiveClass]),
    Signature("f1", [average, positiveClass]),
    Signature("confusion_matrix", []),
    Signature("roc_auc", [average, positiveClass], doc: "one class against the rest"),
    Signature("pr_auc", [average, positiveClass], doc: "average precision, one class against the rest"),
    Signature("average_precision", [average, positiveClass], doc: "the same as pr_auc"),
    Signature("log_loss", [], doc: "cross-entropy of the predicted probabilities"),
    Signature("loss", []),
    Signature("subset_accuracy", [], doc: "multi-label: the fraction of samples whose label set is exact"),
    Signature(
      "hamming_loss", [], doc: "multi-label: the fraction of (sample, label) decisions that are wrong"),
    Signature("mae", [], doc: "regression: mean absolute error (averaged over outputs)"),
    Signature("mse", [], doc: "regression: mean squared error"),
    Signature("rmse", [], doc: "regression: root mean squared error"),
    Signature("r2", [], doc: "regression: coefficient of determination"),
    Signature("explained_variance", [], doc: "regression: explained variance score"),
    Signature("max_error", [], doc: "regression: the largest absolute error"),
  ]

  static func probability(_ value: Double = 1) -> Parameter {
    Parameter(
      "p", .number, default: .number(value), min: Bound(0), max: Bound(1),
      doc: "the probability of applying the transform to a sample")
  }
  static let range = ValueType.list(.number)
  /// Darknet's `saturation` and `exposure` factors: beyond 100 every pixel saturates anyway.
  static let maxJitterFactor: Double = 100
  static let fillModes = ["constant", "nearest", "reflect"]
  static let fillMode = Parameter(
    "fill", .choice(fillModes), default: .string("constant"),
    doc: "how to fill pixels that come from outside the image")
  static let fillValue = Parameter(
    "fill_value", .number, default: .number(0), min: Bound(0), max: Bound(1),
    doc: "the value of constant fill")

  /// The augmentations that move pixels (and so need image samples [C, H, W]).
  public static let geometricAugmentations: Set<String> = [
    "random_rotation", "random_affine", "random_crop", "random_resized_crop", "hflip", "vflip", "elastic",
    "gaussian_blur", "random_erasing",
  ]

  /// Per-sample transforms of the training split, applied in the order written. Ranges are pairs
  /// `[low, high]`; a single number `d` stands for a symmetric range (see each `doc`).
  public static let augmentations: [Signature] = [
    Signature(
      "random_rotation", positional: ["degrees"],
      [
        Parameter(
          "degrees", .numberOrList, required: true,
          doc: "d rotates by an angle in [-d, d]; [low, high] by one in that range"),
        fillMode, fillValue, probability(),
      ], doc: "rotation about the image centre (counter-clockwise for positive angles)"),
    Signature(
      "random_affine",
      [
        Parameter(
          "scale", range, min: Bound(0, inclusive: false), doc: "[low, high] zoom factors; 1 leaves the size"),
        Parameter(
          "translate", .numberOrList, min: Bound(0), max: Bound(1),
          doc: "t or [tx, ty]: shift by up to this fraction of the width and height"),
        fillMode, fillValue, probability(),
      ], doc: "random scaling about the centre and translation"),
    Signature(
      "random_crop", positional: ["padding"],
      [
        Parameter(
          "padding", .int, default: .int(0), min: Bound(0), max: maxWindow, doc: "pixels added on every side"),
        Parameter(
          "size", .intOrPair, min: positive, max: maxSize,
          doc: "crop this height and width (an int or [h, w]) instead of the original size: samples become "
            + "smaller, and data.center_crop gives the other splits the same size"),
        fillMode, fillValue, probability(),
      ], doc: "pad, then crop a window of the original size (or of 'size') at a random position"),
    Signature(
      "random_resized_crop",
      [
        Parameter(
          "scale", range, min: Bound(0, inclusive: false), max: Bound(1),
          doc: "[low, high] area fractions (default [0.08, 1])"),
        Parameter(
          "ratio", range, min: Bound(0, inclusive: false),
          doc: "[low, high] aspect ratios w/h (default [3/4, 4/3])"),
        probability(),
      ], doc: "crop a random area and aspect ratio, resized back to the input size"),
    Signature(
      "hflip", positional: ["p"], [probability(0.5)], doc: "mirror left to right"),
    Signature(
      "vflip", positional: ["p"], [probability(0.5)], doc: "mirror top to bottom"),
    Signature(
      "elastic",
      [
        Parameter("alpha", .number, required: true, min: Bound(0), doc: "displacement strength in pixels"),
        Parameter(
          "sigma", .number, required: true, min: Bound(0, inclusive: false),
          doc: "smoothness of the displacement field (gaussian sigma in pixels)"),
        probability(),
      ], doc: "elastic deformation by a smoothed random displacement field (Simard et al. 2003)"),
    Signature(
      "brightness", positional: ["delta"],
      [
        Parameter("delta", .numberOrList, required: true, doc: "d adds a value in [-d, d]; or [low, high]"),
        probability(),
      ], doc: "add a random offset to every value"),
    Signature(
      "contrast", positional: ["delta"],
      [
        Parameter(
          "delta", .numberOrList, required: true, min: Bound(0),
          doc: "d scales the distance from the mean by a factor in [1-d, 1+d]; or [low, high]"),
        probability(),
      ], doc: "scale the distance of every value from the image mean"),
    Signature(
      "saturation", positional: ["delta"],
      [
        Parameter(
          "delta", .numberOrList, required: true, min: Bound(0),
          doc: "d scales the colour by a factor in [1-d, 1+d]; or [low, high]"),
        probability(),
      ], doc: "blend each pixel with its grey value (RGB only)"),
    Signature(
      "hue", positional: ["delta"],
      [
        Parameter(
          "delta", .numberOrList, required: true, min: Bound(-0.5), max: Bound(0.5),
          doc: "d shifts the hue by a fraction of a turn in [-d, d]; or [low, high]"),
        probability(),
      ], doc: "rotate the hue (RGB only)"),
    Signature(
      "hsv",
      [
        Parameter(
          "hue", .number, default: .number(0), min: Bound(0), max: Bound(0.5),
          doc: "h shifts the hue by a fraction of a turn in [-h, h]"),
        Parameter(
          "saturation", .number, default: .number(1), min: Bound(1), max: Bound(maxJitterFactor),
          doc: "s multiplies the HSV saturation by a factor in [1, s] or its inverse (Darknet's rand_scale)"),
        Parameter(
          "exposure", .number, default: .number(1), min: Bound(1), max: Bound(maxJitterFactor),
          doc: "e multiplies the HSV value by a factor in [1, e] or its inverse (Darknet's rand_scale)"),
        probability(),
      ], doc: "Darknet's colour jitter in HSV (hue, saturation, exposure); grey samples get the exposure only"
    ),
    Signature(
      "gaussian_noise", positional: ["std"],
      [Parameter("std", .number, required: true, min: Bound(0)), probability()],
      doc: "add independent normal noise to every value"),
    Signature(
      "gaussian_blur", positional: ["sigma"],
      [
        Parameter(
          "sigma", .numberOrList, required: true, min: Bound(0),
          doc: "s, or [low, high] for a random sigma, in pixels"),
        probability(),
      ], doc: "separable gaussian blur (kernel radius 3 sigma, reflected borders)"),
    Signature(
      "random_erasing",
      [
        Parameter(
          "area", range, min: Bound(0, inclusive: false), max: Bound(1),
          doc: "[low, high] fraction of the image (default [0.02, 0.33])"),
        Parameter(
          "aspect", range, min: Bound(0, inclusive: false),
          doc: "[low, high] height/width of the box (default [0.3, 3.3])"),
        Parameter(
          "fill", .numberListOrWord(["random"]), default: .string("random"), min: Bound(0), max: Bound(1),
          doc: "a value, one per channel, or 'random' (uniform values in [0, 1], the default)"),
        probability(0.5),
      ], doc: "cutout: replace a random box with a constant or random values"),
    Signature(
      "normalize",
      [
        Parameter("mean", .numberOrList, required: true, doc: "one value, or one per channel"),
        Parameter("std", .numberOrList, required: true, min: Bound(0, inclusive: false)),
      ], doc: "(x - mean) / std per channel; must be the last step (also applied to validation and test)"),
  ]

  static let split = Schema([
    Parameter("images", .string, doc: "IDX or NPY file of samples"),
    Parameter("labels", .string, doc: "IDX or NPY file of labels"),
    Parameter("path", .string, doc: "a CSV file, or a folder of class sub-folders"),
  ])

  public static let dataSchema = Schema([
    Parameter("format", .choice(["idx", "csv", "npy", "folder"]), required: true),
    Parameter("train", .map(split), doc: "required, except for a folder given by 'path'"),
    Parameter("path", .string, doc: "the folder format: a folder of class sub-folders to train on"),
    Parameter("test", .map(split)),
    Parameter("val", .map(split)),
    Parameter(
      "classes", .int, min: Bound(2), max: maxSize, doc: "number of classes; read from the labels if omitted"),
    Parameter("scale", .number, doc: "multiply raw values by this (1/255 for bytes)"),
    Parameter("mean", .numberOrList), Parameter("std", .numberOrList),
    Parameter(
      "validation_split", .number, default: .number(0), min: Bound(0), max: Bound(1, inclusive: false)),
    Parameter("shuffle", .bool, default: .bool(true)),
    Parameter("label_column", .int, default: .int(0), min: Bound(0), max: Bound(Double(Limits.column))),
    Parameter(
      "target_columns", .list(.either([.int, .string])), min: Bound(-Double(Limits.column)),
      max: Bound(Double(Limits.column)),
      doc: "regression: the CSV columns of float targets, by header name or index"),
    Parameter(
      "label_columns", .list(.either([.int, .string])), min: Bound(-Double(Limits.column)),
      max: Bound(Double(Limits.column)),
      doc: "multi-label: the CSV columns of 0/1 labels, by header name or index"),
    Parameter(
      "label_lists", .bool, default: .bool(false),
      doc: "multi-label: the label column lists label indices separated by ';' (3;7)"),
    Parameter(
      "normalize_targets", .bool, default: .bool(false),
      doc: "regression: standardize targets with the training split's mean and std (undone in predictions)"),
    Parameter("header", .bool, default: .bool(false)),
    Parameter(
      "layout", .choice(["nchw", "nhwc"]), default: .string("nchw"),
      doc: "the npy format: nhwc reads samples stored [count, height, width, channels] (NumPy, Keras) "
        + "and transposes them to nnc's [channels, height, width]"),
    Parameter(
      "center_crop", .intOrPair, min: positive, max: maxSize,
      doc: "crop every sample to its centre window of this height and width (an int or [h, w]): the "
        + "validation and test splits, evaluated and predicted samples, and the training split unless "
        + "a 'random_crop' with 'size' crops it (Caffe's crop_size, Darknet's crop)"),
    Parameter(
      "fast_jpeg", .bool, default: .bool(false),
      doc: "the folder format: decode JPEGs at 1/2, 1/4 or 1/8 of their size (libjpeg-turbo) when the "
        + "model's input is that much smaller; faster, slightly different pixels"),
    Parameter(
      "skip_corrupt", .bool, default: .bool(false),
      doc: "the folder format: skip unreadable image files (with a warning) instead of failing"),
    Parameter(
      "split", .number, min: Bound(0, inclusive: false), max: Bound(1, inclusive: false),
      doc: "the folder format: the fraction of every class held out for validation"),
    Parameter(
      "classes_subset", .list(.int), min: Bound(0), max: maxSize,
      doc: "keep only these classes (every split), relabelled 0, 1, ... in the order listed"),
    Parameter(
      "limit_per_class", .int, min: positive, max: Bound(Double(Limits.samples)),
      doc: "keep the first N training samples of every class (a small labelled subset)"),
    Parameter(
      "task", .choice(TaskKind.allCases.map(\.rawValue)),
      doc: "what the model predicts; inferred from the loss and the output units if omitted"),
    Parameter(
      "workers", .int, min: positive, max: Bound(Double(Limits.loaderWorkers)),
      doc: "threads reading, decoding and augmenting the samples of each batch (default: half the cores "
        + "for the folder format, 1 otherwise); results do not depend on it"),
    Parameter(
      "prefetch", .int, min: positive, max: Bound(Double(Limits.prefetchBatches)),
      doc: "batches assembled ahead of the training step (default 2)"),
    Parameter(
      "cache", .choice(["none", "memory", "disk"]), default: .string("none"),
      doc: "the folder format: decode every image once and keep it in memory (memory), in a file of "
        + "the run directory filled during the first epoch (disk), or decode it each time a batch "
        + "needs it (none)"),
    Parameter(
      "max_image_pixels", .int, min: positive, max: Bound(Double(Limits.imagePixels)),
      doc: "the folder format: refuse image files whose header declares more pixels (default 67108864, "
        + "64 megapixels), before decoding them"),
  ])

  static let monitorMode = Parameter(
    "mode", .choice(["max", "min"]),
    doc: "whether the monitored metric improves upward or downward (default: min for losses, else max)")

  public static let earlyStoppingSchema = Schema([
    Parameter("monitor", .string, default: .string("val_loss")),
    monitorMode,
    Parameter("patience", .int, default: .int(5), min: Bound(0), max: maxEpochs),
    Parameter("min_delta", .number, default: .number(0), min: Bound(0)),
    Parameter("restore_best", .bool, default: .bool(true)),
  ])

  /// `train.init`: where pretrained weights come from and how their names and layouts map.
  public static let initSchema = Schema([
    Parameter("from", .string, required: true, doc: "a safetensors file: an nnc checkpoint or any weights"),
    Parameter(
      "rename", .list(.map(renameSchema)),
      doc: "regular-expression rules applied in order, each to the result of the previous, to every "
        + "tensor name of the file"),
    Parameter(
      "strict", .bool, default: .bool(false),
      doc: "true: every parameter must be loaded and every tensor used; false: skip with a note"),
    Parameter(
      "layout", .choice(["nnc", "pytorch", "keras"]), default: .string("nnc"),
      doc: "the file's weight layout; nnc and pytorch are the same ([out, in, kh, kw], [out, in]), "
        + "keras weights ([kh, kw, in, out], [in, out]) are transposed"),
  ])

  public static let renameSchema = Schema([
    Parameter("pattern", .string, required: true, doc: "a regular expression (ICU syntax)"),
    Parameter("replace", .string, required: true, doc: "the replacement; $1, $2 name captured groups"),
  ])

  /// `freeze: [patterns]`, or `freeze: {until: layer}` (that layer and every one before it).
  public static let freezeType = ValueType.either([
    .list(.string),
    .map(Schema([Parameter("until", .string, required: true, doc: "the last frozen layer")])),
  ])

  /// `trainable: [patterns]` (every other layer frozen), or `trainable: {from: layer}`.
  public static let trainableType = ValueType.either([
    .list(.string),
    .map(Schema([Parameter("from", .string, required: true, doc: "the first trainable layer")])),
  ])

  /// One stage of staged fine-tuning.
  public static let phaseSchema = Schema([
    Parameter("epochs", .int, required: true, min: positive, max: maxEpochs),
    Parameter("freeze", freezeType, doc: "layers frozen in this phase (replaces train.freeze)"),
    Parameter("trainable", trainableType, doc: "the only layers trained in this phase"),
    Parameter("optimizer", .call(optimizers), doc: "this phase's optimizer (default: the spec's)"),
    Parameter("lr", .number, min: Bound(0, inclusive: false), doc: "this phase's learning rate"),
  ])

  public static let trainSchema = Schema([
    Parameter("epochs", .int, default: .int(10), min: positive, max: maxEpochs),
    Parameter("batch_size", .int, default: .int(32), min: positive, max: Bound(Double(Limits.batchSize))),
    Parameter("seed", .int, default: .int(0), min: Bound(0), max: Bound(Double(Limits.seed))),
    Parameter("schedule", .call(schedules), default: .string("constant")),
    Parameter("warmup_epochs", .int, default: .int(0), min: Bound(0), max: maxEpochs),
    Parameter(
      "warmup_steps", .int, default: .int(0), min: Bound(0), max: maxSteps,
      doc: "warm-up in optimizer steps (Darknet's burn_in); the schedule is not shifted by it"),
    Parameter(
      "warmup_power", .number, default: .number(1), min: Bound(0, inclusive: false), max: maxPower,
      doc: "the warm-up rises as (step / length)^power: 1 is linear, 4 is Darknet's burn_in"),
    Parameter("clip_norm", .number, min: Bound(0, inclusive: false)),
    Parameter("monitor", .string, default: .string("val_accuracy")),
    monitorMode,
    Parameter("early_stopping", .map(earlyStoppingSchema)),
    Parameter("threads", .int, min: positive, max: Bound(Double(Limits.threads))),
    Parameter(
      "allreduce_bucket_mb", .number, default: .number(25), min: Bound(0, inclusive: false),
      max: Bound(Double(Limits.allreduceBucketMB)),
      doc: "under mpirun, gradients are averaged in all-reduce messages of this many MiB"),
    Parameter(
      "allreduce_overlap", .bool,
      doc:
        "under mpirun, each bucket's all-reduce starts as soon as backward has made its gradients final"
        + " (default: on when the ranks run on several machines, off when they share one)"),
    Parameter(
      "sync_batchnorm", .bool, default: .bool(false),
      doc: "under mpirun, batchnorm normalizes with the statistics of the whole global batch (SyncBatchNorm)"),
    Parameter(
      "init_from", .string,
      doc: "short for init: {from: PATH}: tensors initialize the parameters of the same name and shape"),
    Parameter(
      "init", .map(initSchema),
      doc: "initialize parameters from pretrained weights, with rename rules and layout conversion"),
    Parameter(
      "freeze", freezeType,
      doc: "layer-name patterns (* and ?) whose parameters are not trained, or {until: layer}"),
    Parameter(
      "phases", .list(.map(phaseSchema)),
      doc: "staged fine-tuning: phases run in order, each with its epochs, trainable layers and optimizer"),
    Parameter(
      "lr_multipliers", .dictionary(.number), min: Bound(0),
      doc: "pattern -> factor on the learning rate; a pattern with '.' matches tensor names ('*.bias'), "
        + "any other layer names; the first matching pattern wins"),
    Parameter(
      "decay_multipliers", .dictionary(.number), min: Bound(0),
      doc: "pattern -> factor on the weight decay, as lr_multipliers (Caffe's decay_mult); it also applies "
        + "to biases and normalization parameters, which are otherwise not decayed"),
    Parameter(
      "tensorboard", .string,
      doc: "a directory for TensorBoard event files (train/ and validation/ runs), relative to the spec; "
        + "nnc train --tensorboard overrides it"),
  ])

  /// `predict`: how a model's outputs become class decisions.
  public static let predictSchema = Schema([
    Parameter(
      "threshold", .numberOrList, default: .number(0.5), min: Bound(0), max: Bound(1),
      doc: "a binary task predicts class 1 when its probability is at least this; a multi-label task "
        + "each label (one threshold for all, or one per label)")
  ])

  /// The top-level keys of a spec, in the order printers write them.
  public static let sections = [
    "model", "blocks", "data", "augment", "loss", "optimizer", "metrics", "train", "predict",
  ]
}
