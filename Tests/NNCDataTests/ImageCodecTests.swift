import Foundation
import NNCRandom
import Testing

@testable import NNCData

/// A fresh empty folder under the temporary directory.
func temporaryFolder(_ name: String = #function) throws -> String {
  let path = FileManager.default.temporaryDirectory.appendingPathComponent(
    "nnc-\(name.filter { $0.isLetter })-\(UUID().uuidString)"
  ).path
  try FileManager.default.createDirectory(atPath: path, withIntermediateDirectories: true)
  return path
}

/// A smooth gradient image (JPEG reproduces it closely), values multiples of 1/255.
func gradientImage(channels: Int, height: Int, width: Int) -> Image {
  var image = Image(channels: channels, height: height, width: width)
  for c in 0..<channels {
    for y in 0..<height {
      for x in 0..<width {
        let value =
          (Double(x) / Double(max(width - 1, 1)) * 0.6 + Double(y) / Double(max(height - 1, 1)) * 0.3
            + Double(c) * 0.05)
        image[c, y, x] = Float((value * 255).rounded() / 255)
      }
    }
  }
  return image
}

@Test(arguments: [1, 3])
func pngRoundTripsExactly(channels: Int) throws {
  let folder = try temporaryFolder()
  defer { try? FileManager.default.removeItem(atPath: folder) }
  let image = gradientImage(channels: channels, height: 5, width: 7)
  let path = folder + "/image.png"
  try ImageCodec.writePNG(image, to: path)
  let data = try Data(contentsOf: URL(fileURLWithPath: path))
  #expect(ImageCodec.format(of: data) == .png)
  #expect(try ImageCodec.read(path, channels: channels) == image)
}

@Test func pngConvertsBetweenGreyAndColour() throws {
  let folder = try temporaryFolder()
  defer { try? FileManager.default.removeItem(atPath: folder) }
  // Grey read as RGB repeats the value in every channel.
  let grey = gradientImage(channels: 1, height: 3, width: 4)
  try ImageCodec.writePNG(grey, to: folder + "/grey.png")
  let asColour = try ImageCodec.read(folder + "/grey.png", channels: 3)
  #expect(asColour.channels == 3)
  for c in 0..<3 { #expect(Array(asColour.pixels[(c * 12)..<((c + 1) * 12)]) == grey.pixels) }
  // Pure primaries read as grey come out in the order of their luma weights (green > red > blue).
  let colour = Image(channels: 3, height: 1, width: 3, pixels: [1, 0, 0, 0, 1, 0, 0, 0, 1])
  try ImageCodec.writePNG(colour, to: folder + "/colour.png")
  let asGrey = try ImageCodec.read(folder + "/colour.png", channels: 1)
  #expect(asGrey.pixels[1] > asGrey.pixels[0] && asGrey.pixels[0] > asGrey.pixels[2])
  #expect(asGrey.pixels.allSatisfy { $0 > 0 && $0 < 1 })
}

@Test(arguments: [1, 3])
func jpegDecodesCloseToTheEncodedImage(channels: Int) throws {
  let image = gradientImage(channels: channels, height: 16, width: 24)
  let data = try ImageCodec.encodeJPEG(image, quality: 95)
  #expect(ImageCodec.format(of: data) == .jpeg)
  let decoded = try ImageCodec.decode(data, channels: channels, path: "gradient.jpg")
  #expect(decoded.channels == channels && decoded.height == 16 && decoded.width == 24)
  let worst = zip(decoded.pixels, image.pixels).map { abs($0 - $1) }.max() ?? 1
  #expect(worst < 8.0 / 255, "largest difference \(worst * 255)/255")
}

@Test func corruptFilesAreReportedByPath() throws {
  #expect(throws: DataError("bad.bin", "is neither a PNG nor a JPEG file (unrecognized signature)")) {
    try ImageCodec.decode(Data([1, 2, 3, 4]), channels: 1, path: "bad.bin")
  }
  let jpeg = try ImageCodec.encodeJPEG(gradientImage(channels: 3, height: 32, width: 32))
  do {
    _ = try ImageCodec.decode(jpeg.prefix(jpeg.count / 2), channels: 3, path: "half.jpg")
    Issue.record("a truncated JPEG decoded without an error")
  } catch let error as DataError {
    #expect(error.path == "half.jpg")
    #expect(error.message.hasPrefix("corrupt JPEG file: "))
  }
  let folder = try temporaryFolder()
  defer { try? FileManager.default.removeItem(atPath: folder) }
  try ImageCodec.writePNG(gradientImage(channels: 1, height: 8, width: 8), to: folder + "/a.png")
  let png = try Data(contentsOf: URL(fileURLWithPath: folder + "/a.png"))
  do {
    _ = try ImageCodec.decode(png.prefix(png.count - 20), channels: 1, path: "cut.png")
    Issue.record("a truncated PNG decoded without an error")
  } catch let error as DataError {
    #expect(error.path == "cut.png")
    #expect(error.message.hasPrefix("corrupt PNG file: "))
  }
}

@Test func resizingUsesPixelCentres() {
  let row = Image(channels: 1, height: 1, width: 2, pixels: [0, 1])
  // Output centres 0.25, 0.75, 1.25, 1.75 of 2 pixels (centred at 0.5 and 1.5); the edges repeat.
  #expect(row.resized(height: 1, width: 4).pixels == [0, 0.25, 0.75, 1])
  let image = gradientImage(channels: 2, height: 6, width: 8)
  #expect(image.resized(height: 6, width: 8) == image)
  // A ramp keeps its values at the output centres wherever the filter is not clipped by an edge.
  let ramp = Image(channels: 1, height: 1, width: 16, pixels: (0..<16).map { Float($0) })
  let quarter = ramp.resized(height: 1, width: 4)
  for x in 1..<3 {
    // Output x is centred on source position 4x + 2, which is index 4x + 1.5.
    #expect(abs(quarter.pixels[x] - Float(4 * x) - 1.5) < 1e-4, "pixel \(x): \(quarter.pixels[x])")
  }
  // Shrinking averages fine detail instead of aliasing it: one-pixel stripes reduced 3x become about
  // mid grey (sampling only the nearest pixels would give 0 and 1).
  let stripes = Image(channels: 1, height: 18, width: 18, pixels: (0..<324).map { Float(($0 % 18) % 2) })
  let small = stripes.resized(height: 6, width: 6)
  #expect(small.pixels.allSatisfy { abs($0 - 0.5) < 0.07 }, "\(small.pixels)")
  // Constant images stay constant at any size.
  let flat = Image(channels: 3, height: 7, width: 9, value: 0.3).resized(height: 3, width: 20)
  #expect(flat.pixels.allSatisfy { abs($0 - 0.3) < 1e-6 })
}
