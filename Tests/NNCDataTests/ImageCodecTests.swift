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
  // Output centres at 0.5 and 1.5 of 4 map to source positions -0.25 (clamped), 0.25, 0.75, 1.25 (clamped).
  #expect(row.resized(height: 1, width: 4).pixels == [0, 0.25, 0.75, 1])
  let image = gradientImage(channels: 2, height: 6, width: 8)
  #expect(image.resized(height: 6, width: 8) == image)
  // Halving samples the middle of each 2x2 block: their mean.
  let half = image.resized(height: 3, width: 4)
  for c in 0..<2 {
    for y in 0..<3 {
      for x in 0..<4 {
        let block =
          image[c, 2 * y, 2 * x] + image[c, 2 * y, 2 * x + 1] + image[c, 2 * y + 1, 2 * x]
          + image[c, 2 * y + 1, 2 * x + 1]
        #expect(abs(half[c, y, x] - block / 4) < 1e-6)
      }
    }
  }
}
