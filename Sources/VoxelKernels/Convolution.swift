/// 3-D convolution of a volume with kernels that are symmetric about each axis
/// (K(i, j, k) = K(|i|, |j|, |k|)), as voxel S-value kernels of a radial dose point kernel on a
/// box grid are. Zero outside the volume (no activity outside the field of view).
///
/// out(x) = Σ_n K(n) · in(x − n), for n over the kernel's extent.
public enum Convolution {
    /// One separable term: K(i, j, k) = x[|i|] · y[|j|] · z[|k|]; each array holds taps 0…R.
    public struct SeparableTerm: Sendable, Equatable {
        public var x: [Float], y: [Float], z: [Float]
        public init(x: [Float], y: [Float], z: [Float]) {
            precondition(!x.isEmpty && !y.isEmpty && !z.isEmpty, "a tap array needs its centre weight")
            self.x = x; self.y = y; self.z = z
        }
    }

    /// Convolution with Σ_m term_m: per term, a pass along x and one along y per z-slice (into a
    /// scratch volume), then a pass along z that accumulates into the output.
    ///
    /// - Complexity: per voxel Σ_m (Rx + Ry + Rz + 3) fused multiply-adds on contiguous rows;
    ///   memory traffic about five volume passes per term. Slices split across cores. Results
    ///   are identical at any thread count (each output element is computed by one thread in a
    ///   fixed order).
    public static func separableSymmetric(_ input: [Float], dimensions d: SIMD3<Int>,
                                          terms: [SeparableTerm]) -> [Float] {
        precondition(input.count == d.x * d.y * d.z)
        let sliceSize = d.x * d.y
        var output = [Float](repeating: 0, count: input.count)
        var scratch = [Float](repeating: 0, count: input.count)
        for term in terms {
            // x then y, slice by slice, into scratch.
            input.withUnsafeBufferPointer { src in
                scratch.withUnsafeMutableBufferPointer { dst in
                    let source = UncheckedSendable(src), target = UncheckedSendable(dst)
                    Parallel.forEachChunk(count: d.z, minimumChunk: 1) { _, slices in
                        var row = [Float](repeating: 0, count: sliceSize)
                        row.withUnsafeMutableBufferPointer { xPassed in
                            for z in slices {
                                let base = z * sliceSize
                                for y in 0..<d.y {
                                    convolveRow(source.value.baseAddress! + base + y * d.x, count: d.x,
                                                taps: term.x, into: xPassed.baseAddress! + y * d.x)
                                }
                                combineLines(UnsafePointer(xPassed.baseAddress!), lineLength: d.x, lineCount: d.y,
                                             taps: term.y, into: target.value.baseAddress! + base, accumulate: false)
                            }
                        }
                    }
                }
            }
            // z, accumulating into the output.
            scratch.withUnsafeBufferPointer { src in
                output.withUnsafeMutableBufferPointer { dst in
                    let source = UncheckedSendable(src), target = UncheckedSendable(dst)
                    Parallel.forEachChunk(count: d.z, minimumChunk: 1) { _, slices in
                        for z in slices {
                            combineLine(source.value.baseAddress!, lineLength: sliceSize, lineCount: d.z, at: z,
                                        taps: term.z, into: target.value.baseAddress! + z * sliceSize)
                        }
                    }
                }
            }
        }
        return output
    }

    /// Direct convolution with an octant kernel: `octant[(a · (Ry + 1) + b) · (Rz + 1) + c]`
    /// is K(±a, ±b, ±c) for a ≤ Rx (along x), b ≤ Ry, c ≤ Rz. The four rows at (y ± b, z ± c)
    /// are summed first, then convolved along x with the taps K(·, b, c).
    ///
    /// - Complexity: per voxel (Ry + 1)(Rz + 1)(Rx + 4) operations on contiguous rows.
    public static func octantSymmetric(_ input: [Float], dimensions d: SIMD3<Int>, octant: [Float],
                                       radius r: SIMD3<Int>) -> [Float] {
        precondition(input.count == d.x * d.y * d.z && octant.count == (r.x + 1) * (r.y + 1) * (r.z + 1))
        let sliceSize = d.x * d.y
        return [Float](unsafeUninitializedCapacity: input.count) { out, initialized in
            let target = UncheckedSendable(out)
            input.withUnsafeBufferPointer { src in
                let source = UncheckedSendable(src)
                Parallel.forEachChunk(count: d.z, minimumChunk: 1) { _, slices in
                    var folded = [Float](repeating: 0, count: d.x)
                    var taps = [Float](repeating: 0, count: r.x + 1)
                    var rows: [UnsafePointer<Float>] = []
                    rows.reserveCapacity(4)
                    for z in slices {
                        for y in 0..<d.y {
                            let outRow = target.value.baseAddress! + z * sliceSize + y * d.x
                            outRow.initialize(repeating: 0, count: d.x)
                            for b in 0...r.y {
                                for c in 0...r.z {
                                    rows.removeAll(keepingCapacity: true)
                                    for yy in (b == 0 ? [y] : [y - b, y + b]) where yy >= 0 && yy < d.y {
                                        for zz in (c == 0 ? [z] : [z - c, z + c]) where zz >= 0 && zz < d.z {
                                            rows.append(UnsafePointer(source.value.baseAddress! + zz * sliceSize + yy * d.x))
                                        }
                                    }
                                    guard !rows.isEmpty else { continue }
                                    for a in 0...r.x { taps[a] = octant[(a * (r.y + 1) + b) * (r.z + 1) + c] }
                                    folded.withUnsafeMutableBufferPointer { f in
                                        sumRows(rows, count: d.x, into: f.baseAddress!)
                                        convolveRow(UnsafePointer(f.baseAddress!), count: d.x, taps: taps,
                                                    into: outRow, accumulate: true)
                                    }
                                }
                            }
                        }
                    }
                }
            }
            initialized = input.count
        }
    }

    /// The definition, voxel by voxel, in Float64: for tests only (O(N · kernel size)).
    public static func reference(_ input: [Float], dimensions d: SIMD3<Int>, radius r: SIMD3<Int>,
                                 kernel: (Int, Int, Int) -> Double) -> [Float] {
        var out = [Float](repeating: 0, count: input.count)
        for z in 0..<d.z { for y in 0..<d.y { for x in 0..<d.x {
            var sum = 0.0
            for k in -r.z...r.z { for j in -r.y...r.y { for i in -r.x...r.x {
                let (sx, sy, sz) = (x - i, y - j, z - k)
                guard sx >= 0, sy >= 0, sz >= 0, sx < d.x, sy < d.y, sz < d.z else { continue }
                sum += kernel(i, j, k) * Double(input[sx + d.x * (sy + d.y * sz)])
            } } }
            out[x + d.x * (y + d.y * z)] = Float(sum)
        } } }
        return out
    }

    // MARK: - Row primitives

    /// out[i] (+)= Σ_a taps[a] · (row[i − a] + row[i + a]) for a ≥ 1, plus taps[0] · row[i];
    /// zero outside the row.
    @inline(__always)
    static func convolveRow(_ row: UnsafePointer<Float>, count n: Int, taps: [Float],
                            into out: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        if !accumulate { out.initialize(repeating: 0, count: n) }
        taps.withUnsafeBufferPointer { w in
            addScaled(row, weight: w[0], count: n, into: out)
            for a in stride(from: 1, to: w.count, by: 1) where a < n {
                // Left neighbour contributes to out[a...], right neighbour to out[..<(n − a)].
                addScaled(row, weight: w[a], count: n - a, into: out + a)
                addScaled(row + a, weight: w[a], count: n - a, into: out)
            }
        }
    }

    /// Lines of length `lineLength`, stacked `lineCount` times: out[line ℓ] = Σ_a taps[a] ·
    /// (in[ℓ − a] + in[ℓ + a]) (zero outside), for every line.
    static func combineLines(_ input: UnsafePointer<Float>, lineLength: Int, lineCount: Int, taps: [Float],
                             into out: UnsafeMutablePointer<Float>, accumulate: Bool) {
        for line in 0..<lineCount {
            if !accumulate { (out + line * lineLength).initialize(repeating: 0, count: lineLength) }
            combineLine(input, lineLength: lineLength, lineCount: lineCount, at: line, taps: taps,
                        into: out + line * lineLength)
        }
    }

    /// Adds Σ_a taps[a] · (in[ℓ − a] + in[ℓ + a]) for the one line ℓ into `out`.
    @inline(__always)
    static func combineLine(_ input: UnsafePointer<Float>, lineLength: Int, lineCount: Int, at line: Int,
                            taps: [Float], into out: UnsafeMutablePointer<Float>) {
        taps.withUnsafeBufferPointer { w in
            addScaled(input + line * lineLength, weight: w[0], count: lineLength, into: out)
            for a in stride(from: 1, to: w.count, by: 1) {
                if line - a >= 0 { addScaled(input + (line - a) * lineLength, weight: w[a], count: lineLength, into: out) }
                if line + a < lineCount { addScaled(input + (line + a) * lineLength, weight: w[a], count: lineLength, into: out) }
            }
        }
    }

    /// out[i] = Σ_r rows[r][i].
    @inline(__always)
    static func sumRows(_ rows: [UnsafePointer<Float>], count n: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(from: rows[0], count: n)
        for r in rows.dropFirst() { addScaled(r, weight: 1, count: n, into: out) }
    }

    /// out[i] += weight · src[i], eight lanes at a time with a scalar tail.
    @inline(__always)
    static func addScaled(_ src: UnsafePointer<Float>, weight: Float, count n: Int, into out: UnsafeMutablePointer<Float>) {
        let w = SIMD8<Float>(repeating: weight)
        var i = 0
        let body = n - n % 8
        let s = UnsafeRawPointer(src), o = UnsafeMutableRawPointer(out)
        while i < body {
            let v = s.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let acc = o.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            o.storeBytes(of: acc.addingProduct(v, w), toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            out[i] = out[i].addingProduct(src[i], weight)
            i += 1
        }
    }
}
