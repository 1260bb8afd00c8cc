import Foundation
import Testing

@testable import NNCData

/// `data.layout: nhwc`: npy samples stored [count, height, width, channels] load as [C, H, W].
@Suite struct ChannelsLastTests {
  @Test func npySamplesAreTransposedOnLoad() throws {
    let directory = try makeTemporaryDirectory()
    defer { try? FileManager.default.removeItem(atPath: directory) }
    let (count, height, width, channels) = (2, 2, 3, 3)
    // Value = the element's own [n, y, x, c] index written as digits, so each lands recognizably.
    var stored: [Float] = []
    for n in 0..<count {
      for y in 0..<height {
        for x in 0..<width {
          for c in 0..<channels { stored.append(Float(1000 * n + 100 * y + 10 * x + c)) }
        }
      }
    }
    let samples = try writeFile(
      directory, "x.npy",
      npyBytes(
        header: "{'descr': '<f4', 'fortran_order': False, 'shape': (2, 2, 3, 3), }",
        body: littleEndianBytes(stored)))
    let labels = try writeFile(
      directory, "y.npy",
      npyBytes(
        header: "{'descr': '<i8', 'fortran_order': False, 'shape': (2,), }",
        body: littleEndianBytes([Int64(0), 1])))
    var configuration = DatasetConfiguration(source: .npy(samples: samples, labels: labels))
    configuration.channelsLast = true
    let dataset = try configuration.load()
    #expect(dataset.sampleShape == [channels, height, width])
    for n in 0..<count {
      for c in 0..<channels {
        for y in 0..<height {
          for x in 0..<width {
            let index = n * channels * height * width + (c * height + y) * width + x
            #expect(dataset.samples[index] == Float(1000 * n + 100 * y + 10 * x + c))
          }
        }
      }
    }
  }

  @Test func onlyImageSamplesCanBeTransposed() throws {
    let flat = try Dataset(samples: [1, 2, 3, 4], labels: [0, 1], sampleShape: [2])
    #expect(throws: DataError.self) { try flat.channelsFirst() }
  }
}
