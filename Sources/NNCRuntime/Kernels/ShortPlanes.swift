/// `target[0 ..< count] = source[0 ..< count]` for the short planes of late feature maps without a
/// call: vectors of 16, 8 and 4 floats, then single ones; longer planes by `update(from:count:)`.
@inline(__always)
func copyPlane(_ source: UnsafePointer<Float>, _ target: UnsafeMutablePointer<Float>, count: Int) {
  guard count <= 64 else {
    target.update(from: source, count: count)
    return
  }
  var i = 0
  while i &+ 16 <= count {
    SIMD8<Float>.load(source + i).store(target + i)
    SIMD8<Float>.load(source + (i &+ 8)).store(target + (i &+ 8))
    i &+= 16
  }
  if i &+ 8 <= count {
    SIMD8<Float>.load(source + i).store(target + i)
    i &+= 8
  }
  if i &+ 4 <= count {
    SIMD4<Float>.load(source + i).store(target + i)
    i &+= 4
  }
  while i < count {
    target[i] = source[i]
    i &+= 1
  }
}

/// `target[0 ..< count] = 0` for short planes without a call, as `copyPlane`.
@inline(__always)
func zeroPlane(_ target: UnsafeMutablePointer<Float>, count: Int) {
  guard count <= 64 else {
    target.update(repeating: 0, count: count)
    return
  }
  var i = 0
  while i &+ 8 <= count {
    SIMD8<Float>.zero.store(target + i)
    i &+= 8
  }
  if i &+ 4 <= count {
    SIMD4<Float>.zero.store(target + i)
    i &+= 4
  }
  while i < count {
    target[i] = 0
    i &+= 1
  }
}
