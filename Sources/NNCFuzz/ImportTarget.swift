import NNCONNX
import NNCSpec

/// `nnc import` as a fuzz target: any bytes end in a spec that prints, or an `ONNXImportError`.
extension FuzzTarget {
  public static let onnx = FuzzTarget(
    name: "onnx",
    tokens: tokens([
      "Conv", "Relu", "Add", "Concat", "Gemm", "MatMul", "BatchNormalization", "MaxPool", "AveragePool",
      "GlobalAveragePool", "Flatten", "Reshape", "Clip", "Sigmoid", "Mul", "Softmax", "Pad", "Resize",
      "kernel_shape", "pads", "strides", "group", "auto_pad", "SAME_UPPER",
    ])
  ) { bytes in
    guard let model = try? ONNXImporter.read(bytes: bytes),
      let imported = try? ONNXImporter.convert(model, name: "fuzz", weightsFile: "fuzz.safetensors")
    else { return }
    _ = SpecPrinter.yaml(imported.spec)
    _ = SpecPrinter.nnc(imported.spec)
  }
}
