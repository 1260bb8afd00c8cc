import Foundation
import NNCGraph
import NNCRuntime
import NNCSpec
import Testing

@testable import NNCTrain

/// `layout: keras` beyond plain transposition: the channels-last flatten order before a dense layer
/// and depthwise kernels, each checked against the computation Keras does with the file's tensor.
@Suite struct KerasLayoutTests {
  @Test func aDenseLayerAfterAFlattenComputesWhatKerasComputes() {
    let (channels, height, width, outputs) = (2, 3, 4, 5)
    let inputs = channels * height * width
    // Keras kernel [in, out] over inputs flattened in (h, w, c) order.
    let kernel = (0..<(inputs * outputs)).map { Float(($0 * 7) % 11) - 5 }
    let tensor = Checkpoint.Parameter(shape: [inputs, outputs], values: kernel)
    let (converted, note) = WeightImport.converted(
      tensor, layout: .keras, isWeight: true, target: [outputs, inputs], flattened: [channels, height, width])
    #expect(converted.shape == [outputs, inputs])
    #expect(note == "transposed from keras [in,out], inputs reordered from a channels-last flatten")
    let image = (0..<inputs).map { Float(($0 * 5) % 13) / 4 }  // [C, H, W]
    for o in 0..<outputs {
      var keras: Float = 0
      for y in 0..<height {
        for x in 0..<width {
          for c in 0..<channels {
            keras +=
              image[(c * height + y) * width + x] * kernel[((y * width + x) * channels + c) * outputs + o]
          }
        }
      }
      let nnc = (0..<inputs).reduce(Float(0)) { $0 + converted.values[o * inputs + $1] * image[$1] }
      #expect(abs(nnc - keras) < 1e-4)
    }
  }

  @Test func depthwiseKernelsGiveKerassOutputChannels() {
    let (kh, kw, channels, multiplier) = (2, 3, 3, 2)
    let kernel = (0..<(kh * kw * channels * multiplier)).map { Float(($0 * 3) % 7) - 3 }
    let tensor = Checkpoint.Parameter(shape: [kh, kw, channels, multiplier], values: kernel)
    let target = [channels * multiplier, 1, kh, kw]
    let (converted, note) = WeightImport.converted(tensor, layout: .keras, isWeight: true, target: target)
    #expect(converted.shape == target)
    #expect(note == "transposed from keras depthwise [kh,kw,in,multiplier]")
    // One window the size of the kernel: Keras's output channel c·multiplier + j is the sum over the
    // window of input channel c times kernel[y, x, c, j].
    let window = (0..<(channels * kh * kw)).map { Float($0 % 5) + 1 }  // [C, kh, kw]
    for c in 0..<channels {
      for j in 0..<multiplier {
        var keras: Float = 0
        var nnc: Float = 0
        for y in 0..<kh {
          for x in 0..<kw {
            let pixel = window[(c * kh + y) * kw + x]
            keras += pixel * kernel[((y * kw + x) * channels + c) * multiplier + j]
            nnc += pixel * converted.values[((c * multiplier + j) * kh + y) * kw + x]
          }
        }
        #expect(keras == nnc)
      }
    }
  }

  @Test func theImporterFindsTheFlattenBeforeADenseLayer() throws {
    let yaml = """
      model:
        input: [2, 2, 3]
        layers: [{conv2d: {filters: 2, kernel: 1, name: conv}}, flatten, {dense: {units: 3, name: head}}]
      """
    let (spec, diagnostics) = SpecLoader.parse(text: yaml, path: "keras.yaml")
    let parsed = try #require(spec, "\(diagnostics)")
    let graph = try #require(Lowering.lower(parsed).graph)
    #expect(WeightImport.flattenedInputs(graph) == ["head.weight": [2, 2, 3]])
    let executor = Executor(graph: graph, maxBatch: 1, configuration: .inference)
    #expect(WeightImport.flattenedInputs(executor.graph) == ["head.weight": [2, 2, 3]])
  }
}
