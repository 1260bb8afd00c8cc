/// Every word a spec may use: layers, losses, optimizers, schedules, metrics, augmentations, and the
/// keys of the `data` and `train` sections. Adding a layer means adding its signature here and its op
/// family in NNCGraph and NNCRuntime.
public enum Vocabulary {
  public static let activationNames = [
    "linear", "relu", "relu6", "sigmoid", "tanh", "leaky_relu", "elu", "softmax", "gelu", "silu",
    "hard_sigmoid",
  ]

  // Arguments every layer accepts.
  static let common: [Parameter] = [
    Parameter("name", .string, doc: "a name for the layer, used in summaries and for freezing"),
    Parameter("trainable", .bool, default: .bool(true), doc: "false freezes the layer's parameters"),
  ]

  static let initializers = ["he_normal", "he_uniform", "glorot_uniform", "glorot_normal", "zeros", "ones"]

  static let positive = Bound(1)

  static func convolutionParameters(filters: Bool, depthMultiplier: Bool) -> [Parameter] {
    var parameters: [Parameter] = []
    if filters {
      parameters.append(Parameter("filters", .int, required: true, min: positive, doc: "output channels"))
    }
    parameters += [
      Parameter("kernel", .intOrPair, required: true, min: positive, doc: "kernel size"),
      Parameter("stride", .intOrPair, default: .int(1), min: positive),
      Parameter("padding", .padding, default: .string("valid"), min: Bound(0)),
      Parameter("dilation", .intOrPair, default: .int(1), min: positive),
    ]
    if depthMultiplier {
      parameters.append(Parameter("depth_multiplier", .int, default: .int(1), min: positive))
    }
    if filters && !depthMultiplier {
      parameters.append(Parameter("groups", .int, default: .int(1), min: positive))
    }
    parameters += [
      Parameter("bias", .bool, default: .bool(true)),
      Parameter("activation", .choice(activationNames), default: .string("linear")),
      Parameter("init", .choice(initializers), doc: "weight initializer (default depends on activation)"),
    ]
    return parameters + common
  }

  static func pooling(_ name: String, doc: String) -> Signature {
    Signature(
      name, positional: ["size"],
      [
        Parameter("size", .intOrPair, default: .int(2), min: positive, doc: "window size"),
        Parameter("stride", .intOrPair, min: positive, doc: "defaults to the window size"),
        Parameter("padding", .padding, default: .string("valid"), min: Bound(0)),
      ] + common, doc: doc)
  }

  static func activation(_ name: String, alpha: Double? = nil, doc: String) -> Signature {
    var parameters = common
    var positional: [String] = []
    if let alpha {
      parameters.insert(Parameter("alpha", .number, default: .number(alpha)), at: 0)
      positional = ["alpha"]
    }
    return Signature(name, positional: positional, parameters, doc: doc)
  }

  /// Layers by name.
  public static let layers: [String: Signature] = {
    let list: [Signature] = [
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
          Parameter("units", .int, required: true, min: positive),
          Parameter("bias", .bool, default: .bool(true)),
          Parameter("activation", .choice(activationNames), default: .string("linear")),
          Parameter("init", .choice(initializers)),
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
      activation("linear", doc: "the identity"),
      activation("relu", doc: "max(x, 0)"),
      activation("relu6", doc: "min(max(x, 0), 6)"),
      activation("sigmoid", doc: "1 / (1 + e^-x)"),
      activation("tanh", doc: "hyperbolic tangent"),
      activation("leaky_relu", alpha: 0.01, doc: "x if x > 0 else alpha * x"),
      activation("elu", alpha: 1.0, doc: "x if x > 0 else alpha * (e^x - 1)"),
      activation("softmax", doc: "normalized exponentials over the last axis or channels"),
      activation("gelu", doc: "x * Phi(x) (tanh approximation)"),
      activation("silu", doc: "x * sigmoid(x)"),
      activation("hard_sigmoid", doc: "clamp(x / 6 + 1/2, 0, 1)"),
    ]
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
      [Parameter("from_logits", .bool, default: .bool(true))], doc: "for one output unit or multi-label"),
    Signature("mse", [], doc: "mean squared error against one-hot labels or targets"),
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
        Parameter("every", .int, required: true, min: positive, doc: "epochs between decays"),
        Parameter("gamma", .number, default: .number(0.1), min: Bound(0, inclusive: false)),
      ]),
    Signature(
      "exponential", [Parameter("gamma", .number, required: true, min: Bound(0, inclusive: false))]),
    Signature("cosine", [Parameter("min_lr", .number, default: .number(0), min: Bound(0))]),
  ]

  static let averages = ["macro", "micro", "weighted"]

  public static let metrics: [Signature] = [
    Signature("accuracy", []),
    Signature("top_k_accuracy", positional: ["k"], [Parameter("k", .int, default: .int(5), min: positive)]),
    Signature("precision", [Parameter("average", .choice(averages), default: .string("macro"))]),
    Signature("recall", [Parameter("average", .choice(averages), default: .string("macro"))]),
    Signature("f1", [Parameter("average", .choice(averages), default: .string("macro"))]),
    Signature("confusion_matrix", []),
    Signature("roc_auc", [Parameter("average", .choice(averages), default: .string("macro"))]),
    Signature("pr_auc", [Parameter("average", .choice(averages), default: .string("macro"))]),
    Signature("loss", []),
  ]

  static let probability = Parameter("p", .number, default: .number(1), min: Bound(0), max: Bound(1))
  static let range = ValueType.list(.number)

  public static let augmentations: [Signature] = [
    Signature(
      "random_rotation", positional: ["degrees"],
      [
        Parameter("degrees", .numberOrList, required: true),
        Parameter("fill", .choice(["constant", "nearest", "reflect"]), default: .string("constant")),
        probability,
      ]),
    Signature(
      "random_affine",
      [Parameter("scale", range), Parameter("translate", range), probability]),
    Signature(
      "random_crop", positional: ["padding"],
      [Parameter("padding", .int, default: .int(0), min: Bound(0)), probability]),
    Signature(
      "random_resized_crop",
      [Parameter("scale", range), Parameter("ratio", range), probability]),
    Signature(
      "hflip", positional: ["p"],
      [Parameter("p", .number, default: .number(0.5), min: Bound(0), max: Bound(1))]),
    Signature(
      "vflip", positional: ["p"],
      [Parameter("p", .number, default: .number(0.5), min: Bound(0), max: Bound(1))]),
    Signature(
      "elastic",
      [
        Parameter("alpha", .number, required: true, min: Bound(0)),
        Parameter("sigma", .number, required: true, min: Bound(0, inclusive: false)), probability,
      ]),
    Signature(
      "brightness", positional: ["delta"],
      [Parameter("delta", .number, required: true, min: Bound(0)), probability]),
    Signature(
      "contrast", positional: ["delta"],
      [Parameter("delta", .number, required: true, min: Bound(0)), probability]),
    Signature(
      "saturation", positional: ["delta"],
      [Parameter("delta", .number, required: true, min: Bound(0)), probability]),
    Signature(
      "hue", positional: ["delta"],
      [Parameter("delta", .number, required: true, min: Bound(0), max: Bound(0.5)), probability]),
    Signature(
      "gaussian_noise", positional: ["std"],
      [Parameter("std", .number, required: true, min: Bound(0)), probability]),
    Signature(
      "gaussian_blur", positional: ["sigma"],
      [Parameter("sigma", .numberOrList, required: true), probability]),
    Signature(
      "random_erasing",
      [
        Parameter("area", range), Parameter("aspect", range),
        Parameter("fill", .numberOrList, doc: "a value, or omitted for random noise"), probability,
      ]),
    Signature(
      "normalize",
      [Parameter("mean", .numberOrList, required: true), Parameter("std", .numberOrList, required: true)]),
  ]

  static let split = Schema([
    Parameter("images", .string, doc: "IDX or NPY file of samples"),
    Parameter("labels", .string, doc: "IDX or NPY file of labels"),
    Parameter("path", .string, doc: "a CSV file, or a folder of class sub-folders"),
  ])

  public static let dataSchema = Schema([
    Parameter("format", .choice(["idx", "csv", "npy", "folder"]), required: true),
    Parameter("train", .map(split), required: true),
    Parameter("test", .map(split)),
    Parameter("val", .map(split)),
    Parameter("classes", .int, min: Bound(2), doc: "number of classes; read from the labels if omitted"),
    Parameter("scale", .number, doc: "multiply raw values by this (1/255 for bytes)"),
    Parameter("mean", .numberOrList), Parameter("std", .numberOrList),
    Parameter(
      "validation_split", .number, default: .number(0), min: Bound(0), max: Bound(1, inclusive: false)),
    Parameter("shuffle", .bool, default: .bool(true)),
    Parameter("label_column", .int, default: .int(0), min: Bound(0)),
    Parameter("header", .bool, default: .bool(false)),
  ])

  public static let earlyStoppingSchema = Schema([
    Parameter("monitor", .string, default: .string("val_loss")),
    Parameter("patience", .int, default: .int(5), min: Bound(0)),
    Parameter("min_delta", .number, default: .number(0), min: Bound(0)),
    Parameter("restore_best", .bool, default: .bool(true)),
  ])

  public static let trainSchema = Schema([
    Parameter("epochs", .int, default: .int(10), min: positive),
    Parameter("batch_size", .int, default: .int(32), min: positive),
    Parameter("seed", .int, default: .int(0), min: Bound(0)),
    Parameter("schedule", .call(schedules), default: .string("constant")),
    Parameter("warmup_epochs", .int, default: .int(0), min: Bound(0)),
    Parameter("clip_norm", .number, min: Bound(0, inclusive: false)),
    Parameter("monitor", .string, default: .string("val_accuracy")),
    Parameter("early_stopping", .map(earlyStoppingSchema)),
    Parameter("threads", .int, min: positive),
    Parameter(
      "init_from", .string,
      doc: "a safetensors checkpoint whose tensors initialize the parameters of the same name and shape"),
    Parameter(
      "freeze", .list(.string), doc: "layer-name patterns (* and ?) whose parameters are not trained"),
    Parameter(
      "lr_multipliers", .dictionary(.number), min: Bound(0),
      doc: "layer-name pattern -> factor on the learning rate; the first matching pattern wins"),
  ])

  /// The top-level keys of a spec, in the order printers write them.
  public static let sections = [
    "model", "blocks", "data", "augment", "loss", "optimizer", "metrics", "train",
  ]
}
