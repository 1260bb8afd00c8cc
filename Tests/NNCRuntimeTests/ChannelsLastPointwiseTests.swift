import Foundation
import NNCGraph
import NNCRandom
import Testing

@testable import NNCRuntime

/// `Conv2D.channelsLastPointwiseForward` against the definition in Double over NHWC values, with
/// every epilogue (folded scale, bias, shortcut, activations), on products split by rows into tasks
/// and on ones too small to split, by OpenBLAS and by the direct kernel (few input channels) on every instruction set the CPU has; and `LayoutReorder` against the index mapping.
@Suite struct ChannelsLastPointwiseTests {
  static let geometries = [
    // 75 pixels: two tasks of 64 rows, the second partial.
    Conv2DGeometry(
      batch: 3, inChannels: 24, inHeight: 5, inWidth: 5, outChannels: 40, kernelHeight: 1, kernelWidth: 1),
    // MobileNetV2's late stages: few pixels, many channels (one task, split by `sgemm`'s panels).
    Conv2DGeometry(
      batch: 2, inChannels: 160, inHeight: 2, inWidth: 2, outChannels: 960, kernelHeight: 1, kernelWidth: 1),
    Conv2DGeometry(
      batch: 9, inChannels: 16, inHeight: 8, inWidth: 8, outChannels: 19, kernelHeight: 1, kernelWidth: 1),
    Conv2DGeometry(
      batch: 1, inChannels: 7, inHeight: 3, inWidth: 3, outChannels: 13, kernelHeight: 1, kernelWidth: 1),
    // Tasks of 12 pixels (the AVX-512 variant's blocks of 8 and of 4) and 59 outputs (a pair of
    // 16-lane blocks, a single one, an 8-lane one and 3 single channels).
    Conv2DGeometry(
      batch: 4, inChannels: 20, inHeight: 6, inWidth: 6, outChannels: 59, kernelHeight: 1, kernelWidth: 1),
    // MobileNetV2's 24-channel projections (the AVX-512 variant's 8 × 24 block, the others' 8 × 8 one
    // after four-pixel pairs of 16; with 40 outputs above, a 16-lane block before it), 147 pixels:
    // tasks of 12, blocks of 8 and 4 pixels, and a last task of 3 single pixels.
    Conv2DGeometry(
      batch: 3, inChannels: 144, inHeight: 7, inWidth: 7, outChannels: 24, kernelHeight: 1, kernelWidth: 1),
    // A single block of 8 outputs (nothing for the 8 × 24 block to join), tasks of 12 pixels.
    Conv2DGeometry(
      batch: 4, inChannels: 12, inHeight: 6, inWidth: 6, outChannels: 8, kernelHeight: 1, kernelWidth: 1),
    // Weights past the direct kernel's limit: OpenBLAS, 147 pixels in two tasks of 128 rows.
    Conv2DGeometry(
      batch: 3, inChannels: 1040, inHeight: 7, inWidth: 7, outChannels: 512, kernelHeight: 1, kernelWidth: 1),
  ]

  struct Epilogue: CustomStringConvertible {
    var activation: ActivationKind
    var scaled: Bool
    var biased: Bool
    var shortcut: Bool
    var description: String { "\(activation) scale \(scaled) bias \(biased) shortcut \(shortcut)" }
  }

  static let epilogues = [
    Epilogue(activation: .relu6, scaled: true, biased: true, shortcut: false),
    Epilogue(activation: .relu, scaled: false, biased: true, shortcut: true),
    Epilogue(activation: .linear, scaled: true, biased: true, shortcut: true),
    Epilogue(activation: .linear, scaled: false, biased: false, shortcut: false),
    Epilogue(activation: .tanh, scaled: true, biased: false, shortcut: false),
  ]

  func run(
    _ g: Conv2DGeometry, _ e: Epilogue, input: [Float], weight: [Float], bias: [Float], scale: [Float],
    shortcut: [Float], threads: Int, instructionSet: DepthwiseInstructionSet, overShortcut: Bool = false
  ) -> [Float] {
    // Written over its shortcut (as inference plans may have the direct kernel do): the output
    // starts as the shortcut and is the shortcut read.
    var output = overShortcut ? shortcut : [Float](repeating: .nan, count: g.outputCount)
    var scratch = [Float](repeating: .nan, count: max(1, Conv2D.channelsLastPointwiseScratchCount(g)))
    input.withUnsafeBufferPointer { x in
      weight.withUnsafeBufferPointer { w in
        bias.withUnsafeBufferPointer { b in
          scale.withUnsafeBufferPointer { s in
            shortcut.withUnsafeBufferPointer { r in
              output.withUnsafeMutableBufferPointer { y in
                Conv2D.channelsLastPointwiseForward(
                  g, input: x.baseAddress!, weight: w.baseAddress!, bias: e.biased ? b.baseAddress! : nil,
                  output: y.baseAddress!, activation: e.activation,
                  channelScale: e.scaled ? s.baseAddress! : nil,
                  shortcut: e.shortcut
                    ? (overShortcut ? UnsafePointer(y.baseAddress!) : r.baseAddress!) : nil,
                  packedWeight: &scratch, threads: threads,
                  instructionSet: instructionSet)
              }
            }
          }
        }
      }
    }
    return output
  }

  @Test(arguments: geometries)
  func matchesTheDefinitionAndTheThreadCountChangesNoBits(_ g: Conv2DGeometry) throws {
    var generator = RandomGenerator(seed: 57)
    let pixels = g.batch * g.outHeight * g.outWidth
    let (k, n) = (g.inChannels, g.outChannels)
    let input = randomValues(pixels * k, &generator, scale: 2)
    let weight = randomValues(g.weightCount, &generator)
    let bias = randomValues(n, &generator)
    let scale = randomValues(n, &generator, scale: 4)
    let shortcut = randomValues(pixels * n, &generator, scale: 3)
    for e in Self.epilogues {
      var expected = [Double](repeating: 0, count: pixels * n)
      var magnitudes = expected
      for p in 0..<pixels {
        for o in 0..<n {
          var (sum, magnitude) = (0.0, 0.0)
          for c in 0..<k {
            let term = Double(weight[o * k + c]) * Double(input[p * k + c])
            sum += term
            magnitude += abs(term)
          }
          let s = e.scaled ? Double(scale[o]) : 1
          sum = sum * s + (e.biased ? Double(bias[o]) : 0) + (e.shortcut ? Double(shortcut[p * n + o]) : 0)
          magnitude =
            magnitude * abs(s) + abs(e.biased ? Double(bias[o]) : 0)
            + abs(e.shortcut ? Double(shortcut[p * n + o]) : 0)
          switch e.activation {
          case .relu: sum = max(sum, 0)
          case .relu6: sum = min(max(sum, 0), 6)
          case .tanh: sum = Foundation.tanh(sum)
          default: break
          }
          expected[p * n + o] = sum
          magnitudes[p * n + o] = magnitude
        }
      }
      let direct = Conv2D.runsDirectChannelsLastPointwise(g)
      // The OpenBLAS path does not depend on the instruction-set argument: run it once.
      for instructionSet in DepthwiseInstructionSet.allCases.filter(\.isAvailable)
      where direct || instructionSet == .best {
        let results = (1...3).map { threads in
          run(
            g, e, input: input, weight: weight, bias: bias, scale: scale, shortcut: shortcut,
            threads: threads,
            instructionSet: instructionSet)
        }
        // tanh's slope is at most 1 and ReLU's clamps only shrink errors: the product's bound holds.
        let error = maxRoundingError(results[0], expected, magnitudes: magnitudes, terms: k + 3)
        let path = direct ? "direct \(instructionSet)" : "OpenBLAS"
        #expect(error < 4, "\(g) \(e) \(path): \(error) rounding bounds")
        #expect(
          results[1].map(\.bitPattern) == results[0].map(\.bitPattern)
            && results[2].map(\.bitPattern) == results[0].map(\.bitPattern),
          "\(g) \(e) \(path): thread counts differ")
        guard direct && e.shortcut else { continue }
        for threads in 1...3 {
          let overwritten = run(
            g, e, input: input, weight: weight, bias: bias, scale: scale, shortcut: shortcut,
            threads: threads, instructionSet: instructionSet, overShortcut: true)
          #expect(
            overwritten.map(\.bitPattern) == results[0].map(\.bitPattern),
            "\(g) \(e) \(path): written over the shortcut on \(threads) threads")
        }
      }
    }
  }

  /// Each output is the same sum in the same order in a 16-lane block, an 8-lane one or the scalar
  /// tail, so the AVX-512 variant's wider blocks change no bit against the AVX2 variant's.
  @Test(
    .enabled(if: DepthwiseInstructionSet.avx512.isAvailable, "this CPU has no AVX-512"),
    arguments: geometries.filter(Conv2D.runsDirectChannelsLastPointwise))
  func theAVX512VariantGivesTheAVX2Bits(_ g: Conv2DGeometry) {
    var generator = RandomGenerator(seed: 58)
    let pixels = g.batch * g.outHeight * g.outWidth
    let input = randomValues(pixels * g.inChannels, &generator, scale: 2)
    let weight = randomValues(g.weightCount, &generator)
    let bias = randomValues(g.outChannels, &generator)
    let scale = randomValues(g.outChannels, &generator, scale: 4)
    let shortcut = randomValues(pixels * g.outChannels, &generator, scale: 3)
    for e in Self.epilogues {
      let (narrow, wide) = (DepthwiseInstructionSet.avx2, DepthwiseInstructionSet.avx512)
      let results = [narrow, wide].map { isa in
        run(
          g, e, input: input, weight: weight, bias: bias, scale: scale, shortcut: shortcut, threads: 2,
          instructionSet: isa)
      }
      #expect(results[1].map(\.bitPattern) == results[0].map(\.bitPattern), "\(g) \(e): \(wide) vs \(narrow)")
    }
  }

  /// The epilogue's per-channel arithmetic equals `convolutionEpilogue`'s on the same values, bit
  /// for bit, special values included, so a channel's result does not depend on the layout.
  @Test func theEpilogueEqualsTheChannelsFirstOne() {
    let special: [Float] = [.nan, -0.0, 0, 6, -6, 6.5, 5.999, .infinity, -.infinity, 1e-30, -1e-30, 3, -2.5]
    let channels = special.count
    let scale: [Float] = (0..<channels).map { Float($0 % 3) - 0.5 }
    let bias: [Float] = (0..<channels).map { Float($0 % 4) - 1.5 }
    let shortcut: [Float] = (0..<channels).map { Float($0 % 5) - 2 }
    for activation in [ActivationKind.linear, .relu, .relu6, .sigmoid] {
      for withShortcut in [false, true] where !withShortcut || activation == .linear || activation == .relu {
        var row = special
        scale.withUnsafeBufferPointer { s in
          bias.withUnsafeBufferPointer { b in
            shortcut.withUnsafeBufferPointer { r in
              channelsLastEpilogue(
                &row, channels: channels, scale: s.baseAddress!, bias: b.baseAddress!, activation: activation,
                shortcut: withShortcut ? r.baseAddress! : nil)
            }
          }
        }
        for c in 0..<channels {
          var single = [special[c]]
          let rowShortcut = [shortcut[c]]
          convolutionEpilogue(
            single, &single, count: 1, scale: scale[c], bias: bias[c], activation: activation,
            shortcut: withShortcut ? rowShortcut : nil)
          #expect(
            row[c].bitPattern == single[0].bitPattern,
            "\(activation) shortcut \(withShortcut) channel \(c): \(row[c]) vs \(single[0])")
        }
      }
    }
  }

  @Test(arguments: [(1, 1, 1), (3, 13, 7), (2, 8, 64), (4, 960, 4)])
  func reordersTransposeEachSampleAndBack(_ shape: (Int, Int, Int)) {
    let (batch, channels, pixels) = shape
    let sample = channels * pixels
    let input = (0..<(batch * sample)).map { Float($0) }
    var channelsLast = [Float](repeating: .nan, count: input.count)
    LayoutReorder.forward(
      to: .channelsLast, batch: batch, channels: channels, pixels: pixels, input: input, output: &channelsLast
    )
    for n in 0..<batch {
      for c in 0..<channels {
        for p in 0..<pixels {
          #expect(channelsLast[n * sample + p * channels + c] == input[n * sample + c * pixels + p])
        }
      }
    }
    var back = [Float](repeating: .nan, count: input.count)
    LayoutReorder.forward(
      to: .channelsFirst, batch: batch, channels: channels, pixels: pixels, input: channelsLast, output: &back
    )
    #expect(back == input)
  }
}
