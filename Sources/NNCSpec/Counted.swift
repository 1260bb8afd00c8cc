/// A count with its noun in the right number: "1 sample", "2 samples", "1 class", "3 classes".
/// `plural` defaults to the singular with an "s".
public func counted(_ count: Int, _ singular: String, plural: String? = nil) -> String {
  "\(count) " + (count == 1 ? singular : plural ?? singular + "s")
}
