/// A geometry that no kernel can run, with a sentence saying which field is wrong and why.
/// The graph layer reports shape errors with source locations long before this; a `KernelError` means
/// the interpreter was handed an inconsistent plan.
public struct KernelError: Error, CustomStringConvertible, Equatable, Sendable {
  public let description: String

  public init(_ description: String) { self.description = description }
}

/// Throws a `KernelError` naming `field` when `value` is not positive.
func requirePositive(_ value: Int, _ field: String, in kernel: String) throws(KernelError) {
  guard value > 0 else { throw KernelError("\(kernel): \(field) must be positive, got \(value)") }
}

/// Throws a `KernelError` naming `field` when `value` is negative.
func requireNonNegative(_ value: Int, _ field: String, in kernel: String) throws(KernelError) {
  guard value >= 0 else { throw KernelError("\(kernel): \(field) must not be negative, got \(value)") }
}
