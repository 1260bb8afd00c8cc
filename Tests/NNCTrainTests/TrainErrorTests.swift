import Testing

@testable import NNCTrain

@Test func trainErrorCarriesItsMessage() {
  #expect(TrainError("loss is NaN").description == "loss is NaN")
}
