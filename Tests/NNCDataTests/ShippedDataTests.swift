import Foundation
import NNCRandom
import Testing

@testable import NNCData

private func shipped(_ folder: String, _ file: String) -> String {
  repositoryRoot + "/Data/" + folder + "/" + file
}

@Test(arguments: [("train", 4000), ("t10k", 1000)])
func shippedMNIST5kHasTheDocumentedSplit(prefix: String, count: Int) throws {
  let dataset = try Dataset.readIDX(
    images: shipped("mnist5k", "\(prefix)-images-idx3-ubyte"),
    labels: shipped("mnist5k", "\(prefix)-labels-idx1-ubyte"), classes: 10)
  #expect(dataset.count == count)
  #expect(dataset.sampleShape == [1, 28, 28])
  #expect(dataset.samples.count == count * 784)
  #expect(dataset.samples.min() == 0)
  #expect(dataset.samples.max() == 255)
  // Class counts as listed in Data/mnist5k/README.md (computed there with numpy).
  let expected =
    prefix == "train"
    ? [381, 403, 405, 385, 392, 428, 393, 410, 414, 389] : [119, 97, 95, 115, 108, 72, 107, 90, 86, 111]
  #expect(dataset.classCounts == expected)
}

@Test func shippedDigitsIDXAndCSVAgree() throws {
  for (prefix, csv, count) in [("train", "train.csv", 1437), ("t10k", "test.csv", 360)] {
    let idx = try Dataset.readIDX(
      images: shipped("digits", "\(prefix)-images-idx3-ubyte"),
      labels: shipped("digits", "\(prefix)-labels-idx1-ubyte"))
    #expect(idx.count == count)
    #expect(idx.sampleShape == [1, 8, 8])
    #expect(idx.classes == 10)
    #expect(idx.labels.allSatisfy { (0..<10).contains($0) })
    #expect(idx.samples.max() == 16)
    let text = try Dataset.readCSV(shipped("digits", csv))
    #expect(text.sampleShape == [64])
    #expect(text.samples == idx.samples)
    #expect(text.labels == idx.labels)
  }
  let train = try Dataset.readIDX(
    images: shipped("digits", "train-images-idx3-ubyte"), labels: shipped("digits", "train-labels-idx1-ubyte")
  )
  #expect(train.classCounts == [149, 137, 142, 154, 144, 141, 139, 149, 128, 154])
}

@Test func configurationLoadsNormalizesAndSplits() throws {
  let configuration = DataConfiguration(
    train: DatasetConfiguration(
      source: .idx(images: "digits/train-images-idx3-ubyte", labels: "digits/train-labels-idx1-ubyte"),
      normalization: Normalization(scale: 1.0 / 16)),
    test: DatasetConfiguration(
      source: .csv(path: "digits/test.csv", options: CSVOptions(sampleShape: [1, 8, 8])),
      normalization: Normalization(scale: 1.0 / 16)),
    validationSplit: 0.1, stratify: true)
  var generator = RandomGenerator(seed: 5)
  let data = try configuration.load(relativeTo: repositoryRoot + "/Data", using: &generator)
  #expect(data.train.count + (data.validation?.count ?? 0) == 1437)
  #expect(data.validation?.count == 144)
  #expect(data.test?.count == 360)
  #expect(data.train.samples.max() == 1)
  #expect(data.test?.samples.max() == 1)
  let mismatched = DataConfiguration(
    train: configuration.train,
    test: DatasetConfiguration(source: .csv(path: "digits/test.csv", options: CSVOptions())))
  #expect(
    dataError { try mismatched.load(relativeTo: repositoryRoot + "/Data", using: &generator) }?.description
      == "\(repositoryRoot)/Data/digits/test.csv: samples have shape [64] but the training samples "
      + "(\(repositoryRoot)/Data/digits/train-images-idx3-ubyte) have [1, 8, 8]")
}
