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
