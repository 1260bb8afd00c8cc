/// The input and output transforms of `WinogradConv2D` and their adjoints, over the tiles of a chunk.
/// Bᵀ = [[1, 0, −1, 0], [0, 1, 1, 0], [0, −1, 1, 0], [0, 1, 0, −1]], Aᵀ = [[1, 1, 1, 0], [0, 1, −1, −1]].
///
/// These work on one (sample, channel) plane at a time, a row of tiles at a time, with the tiles of
/// the row as the vector lanes (`FloatLanes`). Input patches are read from a zero-padded copy of the
/// plane whose even and odd columns are stored apart: tile tx's columns are then even[tx], odd[tx],
/// even[tx+1], odd[tx+1], so every step is a contiguous loop over the row. `WinogradBatchTransforms.swift`
/// has the versions for maps too narrow for that.
extension WinogradConv2D {
  /// V[ξ][c][t] = (Bᵀ d B)[ξ] for every tile t of the chunk and input channel c, d the tile's 4x4
  /// input patch (zeros in the padding).
  static func transformInputOverRows(
    _ g: Conv2DGeometry, _ tiling: Tiling, input: UnsafePointer<Float>, samples: Int,
    into transformed: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
  ) {
    let tiles = samples * tiling.tilesPerSample
    let channels = g.inChannels
    let stride = positionStride(channels * tiles)
    let half = tiling.halfRow
    let wide = tiling.tilesWide
    let workspaceSize = tiling.workspacePerPart(g)
    Parallel.forEach(samples * channels, workPerItem: positions * 4 * tiling.tilesPerSample) { part, plane in
      let (sample, channel) = plane.quotientAndRemainder(dividingBy: channels)
      let rowsSize = tiling.paddedRows * half
      let even = workspace + part * workspaceSize
      let odd = even + rowsSize
      let rowSums = odd + rowsSize
      splitPadded(g, tiling, plane: input + plane * g.inHeight * g.inWidth, even: even, odd: odd)
      for ty in 0..<tiling.tilesHigh {
        // Bᵀ d along the rows, for the even and for the odd columns.
        rowStep(UnsafePointer(even + 2 * ty * half), half: half, into: rowSums)
        rowStep(UnsafePointer(odd + 2 * ty * half), half: half, into: rowSums + 4 * half)
        // Then · B along the columns: tile tx's columns are even[tx], odd[tx], even[tx+1], odd[tx+1].
        let firstTile = sample * tiling.tilesPerSample + ty * wide
        for i in 0..<4 {
          let e = UnsafePointer(rowSums + i * half)
          let o = UnsafePointer(rowSums + (4 + i) * half)
          let out0 = transformed + 4 * i * stride + channel * tiles + firstTile
          let (out1, out2, out3) = (out0 + stride, out0 + 2 * stride, out0 + 3 * stride)
          func columnStep<L: FloatLanes>(_: L.Type, _ tx: Int) {
            let (e0, o0, e1, o1) = (L.load(e + tx), L.load(o + tx), L.load(e + tx + 1), L.load(o + tx + 1))
            (e0 - e1).store(out0 + tx)
            (o0 + e1).store(out1 + tx)
            (e1 - o0).store(out2 + tx)
            (o0 - o1).store(out3 + tx)
          }
          forEachLaneGroup(wide) { tx, vector in
            vector ? columnStep(SIMD8<Float>.self, tx) : columnStep(Float.self, tx)
          }
        }
      }
    }
  }

  /// Bᵀ d down the four padded rows starting at `rows` (one half: even or odd columns):
  /// t0 = r0 − r2, t1 = r1 + r2, t2 = r2 − r1, t3 = r1 − r3, stored as four rows of `half`.
  @inline(__always)
  private static func rowStep(_ rows: UnsafePointer<Float>, half: Int, into t: UnsafeMutablePointer<Float>) {
    func step<L: FloatLanes>(_: L.Type, _ x: Int) {
      let (r0, r1, r2, r3) = (
        L.load(rows + x), L.load(rows + half + x), L.load(rows + 2 * half + x), L.load(rows + 3 * half + x)
      )
      (r0 - r2).store(t + x)
      (r1 + r2).store(t + half + x)
      (r2 - r1).store(t + 2 * half + x)
      (r1 - r3).store(t + 3 * half + x)
    }
    forEachLaneGroup(half) { x, vector in vector ? step(SIMD8<Float>.self, x) : step(Float.self, x) }
  }

  /// Writes the input plane, zero-padded to `paddedRows` x 2·`halfRow`, as its even and odd columns.
  private static func splitPadded(
    _ g: Conv2DGeometry, _ tiling: Tiling, plane: UnsafePointer<Float>, even: UnsafeMutablePointer<Float>,
    odd: UnsafeMutablePointer<Float>
  ) {
    let half = tiling.halfRow
    even.update(repeating: 0, count: tiling.paddedRows * half)
    odd.update(repeating: 0, count: tiling.paddedRows * half)
    let evenColumns = paddedColumns(parity: 0, padLeft: g.padLeft, width: g.inWidth, half: half)
    let oddColumns = paddedColumns(parity: 1, padLeft: g.padLeft, width: g.inWidth, half: half)
    for y in 0..<g.inHeight {
      // Padded column 2m + parity holds input column 2m + parity − padLeft.
      let source = plane + y * g.inWidth - g.padLeft
      let row = (y + g.padTop) * half
      copyEveryOther(
        from: source + 2 * evenColumns.lowerBound, count: evenColumns.count,
        into: even + row + evenColumns.lowerBound)
      copyEveryOther(
        from: source + 2 * oddColumns.lowerBound + 1, count: oddColumns.count,
        into: odd + row + oddColumns.lowerBound)
    }
  }

  /// to[k] = from[2k] for k in 0 ..< count.
  @inline(__always)
  private static func copyEveryOther(
    from: UnsafePointer<Float>, count: Int, into to: UnsafeMutablePointer<Float>
  ) {
    for k in 0..<count { to[k] = from[k &* 2] }
  }

  /// The indices m of a padded row's half (padded column 2m + parity) that hold input columns.
  private static func paddedColumns(parity: Int, padLeft: Int, width: Int, half: Int) -> Range<Int> {
    // Input column x = 2m + parity − padLeft must lie in 0 ..< width.
    let first = max(0, (padLeft - parity + 1) / 2)
    let end = min(half, (width - 1 + padLeft - parity) / 2 + 1)
    return first..<max(first, end)
  }

  /// The adjoint of `transformInput`: overwrites each input plane of the chunk with Σ B dV Bᵀ over the
  /// patches that cover each pixel (the padding's share is dropped).
  static func transformInputGradientOverRows(
    _ g: Conv2DGeometry, _ tiling: Tiling, gradient transformed: UnsafePointer<Float>, samples: Int,
    into gradInput: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
  ) {
    let tiles = samples * tiling.tilesPerSample
    let channels = g.inChannels
    let stride = positionStride(channels * tiles)
    let half = tiling.halfRow
    let wide = tiling.tilesWide
    let workspaceSize = tiling.workspacePerPart(g)
    Parallel.forEach(samples * channels, workPerItem: positions * 4 * tiling.tilesPerSample) { part, plane in
      let (sample, channel) = plane.quotientAndRemainder(dividingBy: channels)
      let rowsSize = tiling.paddedRows * half
      let even = workspace + part * workspaceSize
      let odd = even + rowsSize
      let columnSums = odd + rowsSize
      even.update(repeating: 0, count: rowsSize)
      odd.update(repeating: 0, count: rowsSize)
      for ty in 0..<tiling.tilesHigh {
        let firstTile = sample * tiling.tilesPerSample + ty * wide
        // Adjoint of the column step, row i of each tile: dV[i][0..3] back onto the even and odd
        // columns tx and tx + 1 (the second loop adds the tx + 1 shares after the first's).
        columnSums.update(repeating: 0, count: 8 * half)
        for i in 0..<4 {
          let v0 = transformed + 4 * i * stride + channel * tiles + firstTile
          let (v1, v2, v3) = (v0 + stride, v0 + 2 * stride, v0 + 3 * stride)
          let e = columnSums + i * half
          let o = columnSums + (4 + i) * half
          func current<L: FloatLanes>(_: L.Type, _ tx: Int) {
            (L.load(e + tx) + L.load(v0 + tx)).store(e + tx)
            (L.load(o + tx) + L.load(v1 + tx) - L.load(v2 + tx) + L.load(v3 + tx)).store(o + tx)
          }
          func next<L: FloatLanes>(_: L.Type, _ tx: Int) {
            (L.load(e + tx + 1) + L.load(v1 + tx) + L.load(v2 + tx) - L.load(v0 + tx)).store(e + tx + 1)
            (L.load(o + tx + 1) - L.load(v3 + tx)).store(o + tx + 1)
          }
          forEachLaneGroup(wide) { tx, vector in
            vector ? current(SIMD8<Float>.self, tx) : current(Float.self, tx)
          }
          forEachLaneGroup(wide) { tx, vector in vector ? next(SIMD8<Float>.self, tx) : next(Float.self, tx)
          }
        }
        rowStepAdjoint(UnsafePointer(columnSums), half: half, into: even + 2 * ty * half)
        rowStepAdjoint(UnsafePointer(columnSums + 4 * half), half: half, into: odd + 2 * ty * half)
      }
      // Back from the padded even/odd halves to the input plane: input column x sits at padded
      // column x + padLeft.
      let target = gradInput + plane * g.inHeight * g.inWidth
      let evenColumns = paddedColumns(parity: 0, padLeft: g.padLeft, width: g.inWidth, half: half)
      let oddColumns = paddedColumns(parity: 1, padLeft: g.padLeft, width: g.inWidth, half: half)
      for y in 0..<g.inHeight {
        let destination = target + y * g.inWidth - g.padLeft
        let row = (y + g.padTop) * half
        spreadEveryOther(
          UnsafePointer(even + row + evenColumns.lowerBound), count: evenColumns.count,
          into: destination + 2 * evenColumns.lowerBound)
        spreadEveryOther(
          UnsafePointer(odd + row + oddColumns.lowerBound), count: oddColumns.count,
          into: destination + 2 * oddColumns.lowerBound + 1)
      }
    }
  }

  /// to[2k] = from[k] for k in 0 ..< count.
  @inline(__always)
  private static func spreadEveryOther(
    _ from: UnsafePointer<Float>, count: Int, into to: UnsafeMutablePointer<Float>
  ) {
    for k in 0..<count { to[k &* 2] = from[k] }
  }

  /// The adjoint of `rowStep`, added to the four rows at `rows`: dr0 += dt0,
  /// dr1 += dt1 − dt2 + dt3, dr2 += dt1 + dt2 − dt0, dr3 −= dt3.
  @inline(__always)
  private static func rowStepAdjoint(
    _ t: UnsafePointer<Float>, half: Int, into rows: UnsafeMutablePointer<Float>
  ) {
    func step<L: FloatLanes>(_: L.Type, _ x: Int) {
      let (t0, t1, t2, t3) = (
        L.load(t + x), L.load(t + half + x), L.load(t + 2 * half + x), L.load(t + 3 * half + x)
      )
      let (r0, r1, r2, r3) = (rows + x, rows + half + x, rows + 2 * half + x, rows + 3 * half + x)
      (L.load(r0) + t0).store(r0)
      (L.load(r1) + t1 - t2 + t3).store(r1)
      (L.load(r2) + t1 + t2 - t0).store(r2)
      (L.load(r3) - t3).store(r3)
    }
    forEachLaneGroup(half) { x, vector in vector ? step(SIMD8<Float>.self, x) : step(Float.self, x) }
  }

  /// Y = Aᵀ M A for every tile and output channel, then bias, the shortcut if any and activation; a
  /// tile past the bottom or right edge (odd output size) writes only its rows and columns inside
  /// the output.
  static func transformOutputOverRows(
    _ g: Conv2DGeometry, _ tiling: Tiling, product: UnsafePointer<Float>, samples: Int,
    into output: UnsafeMutablePointer<Float>, scale: UnsafePointer<Float>?, bias: UnsafePointer<Float>?,
    activation: ActivationKind, shortcut: UnsafePointer<Float>? = nil, workspace: UnsafeMutablePointer<Float>
  ) {
    let tiles = samples * tiling.tilesPerSample
    let channels = g.outChannels
    let stride = positionStride(channels * tiles)
    let (outH, outW) = (g.outHeight, g.outWidth)
    let wide = tiling.tilesWide
    let workspaceSize = tiling.workspacePerPart(g)
    Parallel.forEach(samples * channels, workPerItem: positions * 4 * tiling.tilesPerSample) { part, plane in
      let (sample, channel) = plane.quotientAndRemainder(dividingBy: channels)
      let target = output + plane * outH * outW
      // The tile's outputs [[y00, y01], [y10, y11]] as four rows over the tiles.
      let y = workspace + part * workspaceSize
      for ty in 0..<tiling.tilesHigh {
        let m = product + channel * tiles + sample * tiling.tilesPerSample + ty * wide
        func tile<L: FloatLanes>(_: L.Type, _ tx: Int) {
          let (y00, y01, y10, y11) = outputTile { L.load(m + $0 * stride + tx) }
          y00.store(y + tx)
          y01.store(y + wide + tx)
          y10.store(y + 2 * wide + tx)
          y11.store(y + 3 * wide + tx)
        }
        forEachLaneGroup(wide) { tx, vector in vector ? tile(SIMD8<Float>.self, tx) : tile(Float.self, tx) }
        let rows = min(2, outH - 2 * ty)
        for row in 0..<rows {
          interleave(
            UnsafePointer(y + 2 * row * wide), UnsafePointer(y + (2 * row + 1) * wide), count: outW,
            into: target + (2 * ty + row) * outW)
        }
        // Bias, the shortcut if any and activation while the rows are still in cache.
        let offset = plane * outH * outW + 2 * ty * outW
        convolutionEpilogue(
          output + offset, output + offset, count: rows * outW, scale: scale?[channel], bias: bias?[channel],
          activation: activation, shortcut: shortcut.map { $0 + offset })
      }
    }
  }

  /// row[2k] = even[k], row[2k + 1] = odd[k] for the `count` entries of `row`.
  @inline(__always)
  private static func interleave(
    _ even: UnsafePointer<Float>, _ odd: UnsafePointer<Float>, count: Int,
    into row: UnsafeMutablePointer<Float>
  ) {
    let rowNext = row + 1
    for k in 0..<count / 2 {
      row[k &* 2] = even[k]
      rowNext[k &* 2] = odd[k]
    }
    if count % 2 == 1 { row[count - 1] = even[count / 2] }
  }

  /// even[k] = row[2k], odd[k] = row[2k + 1], zero past the `count` entries of `row`.
  @inline(__always)
  private static func deinterleave(
    _ row: UnsafePointer<Float>, count: Int, even: UnsafeMutablePointer<Float>,
    odd: UnsafeMutablePointer<Float>
  ) {
    let rowNext = row + 1
    for k in 0..<count / 2 {
      even[k] = row[k &* 2]
      odd[k] = rowNext[k &* 2]
    }
    if count % 2 == 1 {
      even[count / 2] = row[count - 1]
      odd[count / 2] = 0
    }
  }

  /// dM = A dY Aᵀ for every tile and output channel, the adjoint of `transformOutput` (outputs past
  /// the edge have a zero gradient).
  static func transformOutputGradientOverRows(
    _ g: Conv2DGeometry, _ tiling: Tiling, gradOutput: UnsafePointer<Float>, samples: Int,
    into transformed: UnsafeMutablePointer<Float>, workspace: UnsafeMutablePointer<Float>
  ) {
    let tiles = samples * tiling.tilesPerSample
    let channels = g.outChannels
    let stride = positionStride(channels * tiles)
    let (outH, outW) = (g.outHeight, g.outWidth)
    let wide = tiling.tilesWide
    let workspaceSize = tiling.workspacePerPart(g)
    Parallel.forEach(samples * channels, workPerItem: positions * 4 * tiling.tilesPerSample) { part, plane in
      let (sample, channel) = plane.quotientAndRemainder(dividingBy: channels)
      let source = gradOutput + plane * outH * outW
      // The tile's 2x2 gradient [[a, b], [c, d]] as four rows over the tiles.
      let a = workspace + part * workspaceSize
      let (b, c, d) = (a + wide, a + 2 * wide, a + 3 * wide)
      for ty in 0..<tiling.tilesHigh {
        deinterleave(source + 2 * ty * outW, count: outW, even: a, odd: b)
        if 2 * ty + 1 < outH {
          deinterleave(source + (2 * ty + 1) * outW, count: outW, even: c, odd: d)
        } else {
          c.update(repeating: 0, count: 2 * wide)
        }
        let dm = transformed + channel * tiles + sample * tiling.tilesPerSample + ty * wide
        func tile<L: FloatLanes>(_: L.Type, _ tx: Int) {
          outputGradientTile(L.load(a + tx), L.load(b + tx), L.load(c + tx), L.load(d + tx)) {
            position, value in value.store(dm + position * stride + tx)
          }
        }
        forEachLaneGroup(wide) { tx, vector in vector ? tile(SIMD8<Float>.self, tx) : tile(Float.self, tx) }
      }
    }
  }
}
