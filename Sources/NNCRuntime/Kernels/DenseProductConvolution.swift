/// A convolution whose single output pixel reads its whole input — kernel as large as the map, no
/// leading padding, one group — is a dense layer: each sample's [inChannels, kh, kw] input, read as one
/// row, times the weights [outChannels, inChannels · kh · kw]. ResNet's last stages at 32x32 inputs
/// are like that once cropped to their live taps (3x3 convolutions on 1x1 maps, strided ones on 2x2
/// maps). Channels-first values of a 1x1 map already are channels-last rows, so the channels-last
/// pointwise kernel computes it over the whole batch at once with its weights packed, where the
/// im2col path copied columns and scattered the product element by element for a map of one pixel
/// (three quarters of these layers' time). Inference only (`ConvolutionAlgorithm.denseProduct`).
extension Conv2DGeometry {
  /// Whether the convolution is a dense product (see above) that the direct channels-last kernel can
  /// compute (`Conv2D.runsDirectChannelsLastPointwise`; larger weights keep the channels-first paths).
  public var isDenseProduct: Bool {
    outHeight == 1 && outWidth == 1 && kernelHeight == inHeight && kernelWidth == inWidth
      && padTop == 0 && padLeft == 0 && dilationH == 1 && dilationW == 1 && groups == 1
      && Conv2D.runsDirectChannelsLastPointwise(denseProductGeometry)
  }

  /// The pointwise convolution over 1x1 maps of inChannels · kh · kw channels that this one equals
  /// when `isDenseProduct`: same input, weights and output memory.
  var denseProductGeometry: Conv2DGeometry {
    Conv2DGeometry(
      batch: batch, inChannels: inChannels * kernelHeight * kernelWidth, inHeight: 1, inWidth: 1,
      outChannels: outChannels, kernelHeight: 1, kernelWidth: 1)
  }
}
