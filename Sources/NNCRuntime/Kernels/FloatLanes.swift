/// A group of floats loaded, combined and stored together: `SIMD8<Float>` for the body of a loop
/// and `Float` for its tail. Kernels written once as a generic function over `FloatLanes` run
/// vectorized without relying on the compiler to vectorize pointer loops, which it declines when it
/// cannot prove that the pointers do not overlap.
protocol FloatLanes {
  static var zero: Self { get }
  static func load(_ pointer: UnsafePointer<Float>) -> Self
  func store(_ pointer: UnsafeMutablePointer<Float>)
  /// The group's floats `stride` apart, from `pointer` on.
  static func load(_ pointer: UnsafePointer<Float>, stride: Int) -> Self
  func store(_ pointer: UnsafeMutablePointer<Float>, stride: Int)
  static func * (lhs: Self, rhs: Float) -> Self
  static func + (lhs: Self, rhs: Float) -> Self
  static func - (lhs: Self, rhs: Float) -> Self
  static func + (lhs: Self, rhs: Self) -> Self
  static func - (lhs: Self, rhs: Self) -> Self
  static prefix func - (operand: Self) -> Self
}

extension Float: FloatLanes {
  // `zero` comes from `AdditiveArithmetic`.
  @inline(__always) static func load(_ pointer: UnsafePointer<Float>) -> Float { pointer.pointee }
  @inline(__always) func store(_ pointer: UnsafeMutablePointer<Float>) { pointer.pointee = self }
  @inline(__always) static func load(_ pointer: UnsafePointer<Float>, stride: Int) -> Float {
    pointer.pointee
  }
  @inline(__always) func store(_ pointer: UnsafeMutablePointer<Float>, stride: Int) { pointer.pointee = self }
}

extension SIMD8: FloatLanes where Scalar == Float {
  // `zero` comes from `SIMD`.
  @inline(__always) static func load(_ pointer: UnsafePointer<Float>) -> SIMD8<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD8<Float>.self)
  }
  @inline(__always) func store(_ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: SIMD8<Float>.self)
  }
  @inline(__always) static func load(_ pointer: UnsafePointer<Float>, stride: Int) -> SIMD8<Float> {
    SIMD8(
      pointer[0], pointer[stride], pointer[2 &* stride], pointer[3 &* stride], pointer[4 &* stride],
      pointer[5 &* stride], pointer[6 &* stride], pointer[7 &* stride])
  }
  @inline(__always) func store(_ pointer: UnsafeMutablePointer<Float>, stride: Int) {
    for lane in 0..<8 { pointer[lane &* stride] = self[lane] }
  }
}

extension SIMD4: FloatLanes where Scalar == Float {
  // `zero` comes from `SIMD`.
  @inline(__always) static func load(_ pointer: UnsafePointer<Float>) -> SIMD4<Float> {
    UnsafeRawPointer(pointer).loadUnaligned(as: SIMD4<Float>.self)
  }
  @inline(__always) func store(_ pointer: UnsafeMutablePointer<Float>) {
    UnsafeMutableRawPointer(pointer).storeBytes(of: self, as: SIMD4<Float>.self)
  }
  @inline(__always) static func load(_ pointer: UnsafePointer<Float>, stride: Int) -> SIMD4<Float> {
    SIMD4(pointer[0], pointer[stride], pointer[2 &* stride], pointer[3 &* stride])
  }
  @inline(__always) func store(_ pointer: UnsafeMutablePointer<Float>, stride: Int) {
    for lane in 0..<4 { pointer[lane &* stride] = self[lane] }
  }
}

/// `forEachLaneGroup` with one group of 4 between the groups of 8 and the single floats (`width`
/// 8, 4 or 1): for rows of a few floats each, such as a 2x2 or 3x3 map's planes, which otherwise
/// ran one float at a time.
@inline(__always)
func forEachLaneGroup(_ count: Int, withQuads body: (_ index: Int, _ width: Int) -> Void) {
  var index = 0
  while index &+ 8 <= count {
    body(index, 8)
    index &+= 8
  }
  if index &+ 4 <= count {
    body(index, 4)
    index &+= 4
  }
  while index < count {
    body(index, 1)
    index &+= 1
  }
}

/// Calls `body(index, vector)` for `index` in steps of 8 while 8 fit in `count` (`vector` true),
/// then one at a time: the body dispatches to its `SIMD8<Float>` or `Float` instance.
@inline(__always)
func forEachLaneGroup(_ count: Int, _ body: (_ index: Int, _ vector: Bool) -> Void) {
  var index = 0
  while index &+ 8 <= count {
    body(index, true)
    index &+= 8
  }
  while index < count {
    body(index, false)
    index &+= 1
  }
}
