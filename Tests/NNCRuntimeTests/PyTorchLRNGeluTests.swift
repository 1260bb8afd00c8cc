import Foundation
import Testing

@testable import NNCRuntime

/// nnc's lrn and gelu kernels against PyTorch's LocalResponseNorm and GELU (both approximations):
/// outputs and input gradients from Tests/Fixtures/pytorch/lrn_gelu.json (made by make_fixture.py there).
@Suite struct PyTorchLRNGeluTests {
  struct Case: Decodable {
    var size: Int?
    var alpha: Double?
    var beta: Double?
    var bias: Double?
    var approximate: String?
    var shape: [Int]
    var x: [Double]
    var dy: [Double]
    var y: [Double]
    var dx: [Double]
  }

  struct Fixture: Decodable {
    var lrn: [Case]
    var gelu: [Case]
  }

  static let fixture: Fixture? = {
    let url = URL(fileURLWithPath: #filePath)
      .deletingLastPathComponent().deletingLastPathComponent()
      .appendingPathComponent("Fixtures/pytorch/lrn_gelu.json")
    guard let data = try? Data(contentsOf: url) else { return nil }
    return try? JSONDecoder().decode(Fixture.self, from: data)
  }()

  @Test func lrnMatchesPyTorch() throws {
    let fixture = try #require(Self.fixture)
    #expect(fixture.lrn.count == 5)
    for item in fixture.lrn {
      let size = try #require(item.size)
      let (alpha, beta, bias) = (Float(item.alpha!), Float(item.beta!), Float(item.bias!))
      let (batch, channels, spatial) = (item.shape[0], item.shape[1], item.shape[2] * item.shape[3])
      let x = item.x.map(Float.init)
      let dy = item.dy.map(Float.init)
      var y = [Float](repeating: .nan, count: x.count)
      var dx = [Float](repeating: .nan, count: x.count)
      var scratch = [Float](repeating: .nan, count: x.count)
      LocalResponseNorm.forward(
        batch: batch, channels: channels, spatial: spatial, size: size, alpha: alpha, beta: beta, bias: bias,
        input: x, output: &y)
      LocalResponseNorm.backward(
        batch: batch, channels: channels, spatial: spatial, size: size, alpha: alpha, beta: beta, bias: bias,
        input: x, gradOutput: dy, gradInput: &dx, scratch: &scratch)
      #expect(maxRelativeError(y, item.y) < 1e-5, "size \(size): forward")
      #expect(maxRelativeError(dx, item.dx) < 1e-4, "size \(size): backward")
    }
  }

  @Test func geluOfBothApproximationsMatchesPyTorch() throws {
    let fixture = try #require(Self.fixture)
    #expect(fixture.gelu.map(\.approximate) == ["none", "tanh"])
    for item in fixture.gelu {
      let kind = ActivationKind.gelu(approximate: item.approximate == "none" ? .erf : .tanh)
      let x = item.x.map(Float.init)
      let dy = item.dy.map(Float.init)
      var y = [Float](repeating: .nan, count: x.count)
      var dx = [Float](repeating: .nan, count: x.count)
      kind.forward(x, &y, count: x.count)
      kind.backward(input: x, gradOutput: dy, gradInput: &dx, count: x.count)
      #expect(maxRelativeError(y, item.y) < 1e-5, "\(item.approximate!): forward")
      #expect(maxRelativeError(dx, item.dx) < 1e-5, "\(item.approximate!): backward")
    }
  }
}
