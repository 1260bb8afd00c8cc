import NNCGraph
import NNCRandom
import NNCSpec
import Testing

@testable import NNCRuntime

/// Lowers a YAML model for the executor tests.
func graph(_ yaml: String) throws -> Graph {
  let (spec, diagnostics) = SpecLoader.parse(text: yaml, path: "test.yaml")
  let result = Lowering.lower(try #require(spec, "\(diagnostics)"))
  return try #require(result.graph, "\(result.diagnostics)")
}

/// Fills every parameter with small random values (running variances positive).
func randomize(_ executor: Executor, seed: UInt64) {
  var rng = RandomGenerator(seed: seed)
  for slot in executor.parameterLayout {
    let buffer = executor.parameter(slot)
    for index in buffer.indices {
      buffer[index] =
        slot.info.role == .runningVariance ? rng.nextUniform(0.5, 1.5) : rng.nextUniform(-0.5, 0.5)
    }
  }
}

/// L = sum(output * probe): its gradient with respect to the output is `probe`.
func loss(_ executor: Executor, batch: Int, probe: [Float]) -> Double {
  executor.forward(batch: batch, training: true)
  var total = 0.0
  for index in 0..<(batch * executor.outputSampleCount) {
    total += Double(executor.output[index]) * Double(probe[index])
  }
  return total
}

/// Compares backward's parameter gradients with central differences of the whole network.
func checkGradients(_ yaml: String, batch: Int = 2, seed: UInt64 = 1, samplesPerTensor: Int = 6) throws {
  let executor = Executor(graph: try graph(yaml), maxBatch: batch)
  randomize(executor, seed: seed)
  var rng = RandomGenerator(seed: seed + 100)
  for index in 0..<(batch * executor.inputSampleCount) { executor.input[index] = rng.nextUniform(-1, 1) }
  let probe = (0..<(batch * executor.outputSampleCount)).map { _ in rng.nextUniform(-1, 1) }

  _ = loss(executor, batch: batch, probe: probe)
  executor.zeroParameterGradients()
  for index in probe.indices { executor.outputGradient[index] = probe[index] }
  executor.backward(batch: batch)
  let analytic = Array(executor.parameterGradients)

  var worst = 0.0
  for slot in executor.parameterLayout where slot.info.trainable {
    let parameter = executor.parameter(slot)
    for _ in 0..<samplesPerTensor {
      let element = Int(rng.next() % UInt64(parameter.count))
      let original = parameter[element]
      let epsilon: Float = 1e-2
      parameter[element] = original + epsilon
      let plus = loss(executor, batch: batch, probe: probe)
      parameter[element] = original - epsilon
      let minus = loss(executor, batch: batch, probe: probe)
      parameter[element] = original
      let numeric = (plus - minus) / (2 * Double(epsilon))
      let exact = Double(analytic[slot.gradientOffset! + element])
      let error = abs(numeric - exact) / max(1.0, abs(numeric) + abs(exact))
      worst = max(worst, error)
      #expect(error < 2e-2, "\(slot.info.name)[\(element)]: backward \(exact), finite differences \(numeric)")
    }
  }
  #expect(worst < 2e-2, "worst relative error \(worst)")
}

@Test func convolutionalNetworkGradients() throws {
  try checkGradients(
    """
    model:
      input: [2, 7, 7]
      layers:
        - conv2d: {filters: 3, kernel: 3, padding: same, activation: tanh}
        - maxpool: 2
        - conv2d: {filters: 4, kernel: 2, stride: 1}
        - flatten
        - dense: {units: 5, activation: sigmoid}
        - dense: 3
    """)
}

/// Convolutions on 2x2 and 1x1 maps whose kernels are cropped to the taps that see the input
/// (`liveTapCrop`); in training the executor keeps the cropped weights from forward for backward.
@Test func croppedConvolutionGradients() throws {
  try checkGradients(
    """
    model:
      input: [3, 2, 2]
      layers:
        - conv2d: {filters: 4, kernel: 3, stride: 2, padding: 1, activation: tanh}
        - conv2d: {filters: 5, kernel: 3, padding: 1, bias: false}
        - batchnorm
        - flatten
        - dense: 3
    """, batch: 3)
}

@Test func residualBatchNormGradientsSumOverConsumers() throws {
  try checkGradients(
    """
    model:
      input: [3, 6, 6]
      layers:
        - conv2d: {filters: 4, kernel: 3, padding: same, bias: false}
        - batchnorm
        - residual:
            layers:
              - conv2d: {filters: 4, kernel: 3, padding: same}
              - batchnorm: {scale: false}
              - elu
        - residual:
            layers:
              - conv2d: {filters: 6, kernel: 3, stride: 2, padding: same}
            shortcut:
              - conv2d: {filters: 6, kernel: 1, stride: 2}
        - global_avgpool
        - dense: 3
    """, batch: 3)
}

@Test func inceptionAndSeparableGradients() throws {
  try checkGradients(
    """
    model:
      input: [3, 6, 6]
      layers:
        - concat:
            - branch: [{conv2d: {filters: 2, kernel: 1}}]
            - branch: [{separable_conv2d: {filters: 3, kernel: 3, padding: same}}, silu]
            - branch: [{avgpool: {size: 3, stride: 1, padding: same}}, {depthwise_conv2d: {kernel: 3, padding: same}}]
        - global_maxpool
        - dense: {units: 4, activation: gelu}
        - dense: 2
        - softmax
    """)
}

@Test func inferenceIsDeterministicAndIgnoresDropout() throws {
  let g = try graph(
    """
    model:
      input: [4]
      layers:
        - dense: 8
        - dropout: 0.5
        - dense: 2
    """)
  let executor = Executor(graph: g, maxBatch: 4)
  randomize(executor, seed: 3)
  for index in 0..<16 { executor.input[index] = Float(index) * 0.1 }
  executor.forward(batch: 4, training: false)
  let first = Array(UnsafeBufferPointer(start: executor.output, count: 8))
  executor.forward(batch: 4, training: true)
  let dropped = Array(UnsafeBufferPointer(start: executor.output, count: 8))
  executor.forward(batch: 4, training: false)
  let again = Array(UnsafeBufferPointer(start: executor.output, count: 8))
  #expect(first == again)
  #expect(first != dropped)
}
