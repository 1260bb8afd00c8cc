import NNCRandom

extension Dataset {
  /// Carves a validation set out of this data set: `fraction` of the samples (rounded, at least one,
  /// leaving at least one for training), chosen with `generator`, so the same seed gives the same
  /// split. With `stratified`, each class contributes the same fraction of its own samples (rounded so
  /// the total matches an unstratified split). Both parts keep the original order of the samples.
  public func splitValidation(
    fraction: Double, stratified: Bool = false, using generator: inout RandomGenerator
  )
    throws -> (train: Dataset, validation: Dataset)
  {
    guard fraction > 0, fraction < 1 else {
      throw DataError(source, "validation split \(fraction) must lie strictly between 0 and 1")
    }
    guard count >= 2 else {
      throw DataError(source, "has \(count) sample(s); a validation split needs at least 2")
    }
    var isValidation = [Bool](repeating: false, count: count)
    if stratified {
      var members = [[Int]](repeating: [], count: classes)
      for (index, label) in labels.enumerated() { members[Int(label)].append(index) }
      let quotas = stratifiedQuotas(classSizes: members.map(\.count), fraction: fraction)
      for (var indices, quota) in zip(members, quotas) where !indices.isEmpty {
        generator.shuffle(&indices)
        for index in indices.prefix(quota) { isValidation[index] = true }
      }
    } else {
      var indices = Array(0..<count)
      generator.shuffle(&indices)
      let take = Int((Double(count) * fraction).rounded())
      for index in indices.prefix(take) { isValidation[index] = true }
    }
    // Rounding per class (or a tiny set) may leave one side empty; move one sample over, chosen by
    // the generator, so both parts are usable.
    let validationCount = isValidation.count(where: { $0 })
    if validationCount == 0 || validationCount == count {
      let index = Int(generator.next() % UInt64(count))
      isValidation[index].toggle()
    }
    let trainIndices = (0..<count).filter { !isValidation[$0] }
    let validationIndices = (0..<count).filter { isValidation[$0] }
    var train = subset(trainIndices)
    var validation = subset(validationIndices)
    train.source = source + " (training part)"
    validation.source = source + " (validation part)"
    return (train, validation)
  }
}

/// How many samples of each class to hold out: `fraction` of each class, rounded by largest remainder
/// (ties to the lower class) so the total is the same as an unstratified split's.
func stratifiedQuotas(classSizes: [Int], fraction: Double) -> [Int] {
  let total = Int((Double(classSizes.reduce(0, +)) * fraction).rounded())
  let exact = classSizes.map { Double($0) * fraction }
  var quotas = exact.map { Int($0.rounded(.down)) }
  let byRemainder = exact.indices.sorted { a, b in
    let (left, right) = (exact[a] - Double(quotas[a]), exact[b] - Double(quotas[b]))
    return left != right ? left > right : a < b
  }
  var missing = total - quotas.reduce(0, +)
  for classIndex in byRemainder where missing > 0 && quotas[classIndex] < classSizes[classIndex] {
    quotas[classIndex] += 1
    missing -= 1
  }
  return quotas
}
