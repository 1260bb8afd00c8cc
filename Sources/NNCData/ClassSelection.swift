extension Dataset {
  /// The samples whose label is one of `classes`, relabelled by position in that list (`[5, 6]`:
  /// label 5 becomes 0, label 6 becomes 1), with `classes.count` classes, named as before (data
  /// without names gets the original labels as names: "5", "6"). Throws for a negative or
  /// repeated class, or one beyond the data's class count.
  public func selectingClasses(_ classes: [Int]) throws -> Dataset {
    var position: [Int32: Int32] = [:]
    for (index, label) in classes.enumerated() {
      guard label >= 0, label < self.classes else {
        throw DataError(source, "data.classes_subset: class \(label) is not in 0...\(self.classes - 1)")
      }
      guard position[Int32(label)] == nil else {
        throw DataError(source, "data.classes_subset lists class \(label) twice")
      }
      position[Int32(label)] = Int32(index)
    }
    let kept = labels.indices.filter { position[labels[$0]] != nil }
    var result = subset(kept)
    result.labels = result.labels.map { position[$0]! }
    result.classes = classes.count
    // Reports name the classes as the data did: its names, or the original labels (8, not 1).
    if let names = classNames, names.count == self.classes {
      result.classNames = classes.map { names[$0] }
    } else {
      result.classNames = classes.map(String.init)
    }
    return result
  }

  /// The first `limit` samples of every class, in file order (a small labelled subset).
  public func limitingPerClass(_ limit: Int) -> Dataset {
    var taken = [Int](repeating: 0, count: classes)
    var kept: [Int] = []
    for (index, label) in labels.enumerated() where taken[Int(label)] < limit {
      taken[Int(label)] += 1
      kept.append(index)
    }
    return subset(kept)
  }
}
