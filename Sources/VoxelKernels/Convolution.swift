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

    /// Convolution with Σ_m term_m, streamed along z: each thread takes a range of output
    /// slices and keeps, per term, a ring of the slices filtered along x and y (2·Rz + 1 of
    /// them); each output slice is then one weighted sum over every term's ring, accumulated in
    /// registers and stored once. Memory traffic is about one read of the input (plus a halo of
    /// Rz slices per thread) and one write of the output.
    ///
    /// - Complexity: per voxel Σ_m (2Rx + 1 + 2Ry + 1 + 2Rz + 1) multiply-adds on contiguous
    ///   rows. Each output element is computed by one thread in a fixed order, so results are
    ///   identical at any thread count.
    public static func separableSymmetric(_ input: [Float], dimensions d: SIMD3<Int>,
                                          terms: [SeparableTerm]) -> [Float] {
        precondition(input.count == d.x * d.y * d.z)
        let sliceSize = d.x * d.y
        return [Float](unsafeUninitializedCapacity: input.count) { out, initialized in
            FreshMemory.prepare(UnsafeMutableRawPointer(out.baseAddress!), byteCount: input.count * 4, populate: true)
            let target = UncheckedSendable(out.baseAddress!)
            input.withUnsafeBufferPointer { src in
                let source = UncheckedSendable(src.baseAddress!)
                let minimumSlices = max(4, 4 * (terms.map { $0.z.count - 1 }.max() ?? 0))
                Parallel.forEachChunk(count: d.z, minimumChunk: minimumSlices) { _, slices in
                    var stream = SliceStream(terms: terms, dimensions: d)
                    for z in stride(from: slices.lowerBound, to: slices.upperBound, by: SliceStream.block) {
                        let count = min(SliceStream.block, slices.upperBound - z)
                        stream.advance(covering: z..<(z + count), source: UnsafePointer(source.value))
                        stream.combine(slices: z..<(z + count), into: target.value, sliceSize: sliceSize)
                    }
                }
            }
            initialized = input.count
        }
    }

    /// Per-thread state of ``separableSymmetric(_:dimensions:terms:)``: for each term a ring of
    /// x-y-filtered slices covering a block of ``block`` output slices and Rz on either side.
    private struct SliceStream {
        /// Output slices computed together: each source vector loaded once feeds all of them.
        static let block = 4
        let terms: [SeparableTerm]
        let d: SIMD3<Int>
        let radius: Int
        /// ring[term][slot], slot = z mod (2·radius + 1); `filled[slot]` is the z it holds.
        var ring: [[[Float]]]
        var filled: [Int]
        var rowBuffer: [Float]
        var xFiltered: [Float]
        let yPadding: Int
        var sources: [UnsafePointer<Float>] = []
        var weights: [Float] = []

        init(terms: [SeparableTerm], dimensions: SIMD3<Int>) {
            self.terms = terms
            d = dimensions
            radius = terms.map { $0.z.count - 1 }.max() ?? 0
            let slots = 2 * radius + Self.block
            ring = terms.map { _ in (0..<slots).map { _ in [Float](repeating: 0, count: dimensions.x * dimensions.y) } }
            filled = [Int](repeating: Int.min, count: slots)
            let padding = terms.map { $0.x.count - 1 }.max() ?? 0
            rowBuffer = [Float](repeating: 0, count: dimensions.x + 2 * padding)
            // R zero lines above and below, so the y filter never leaves the buffer.
            yPadding = terms.map { $0.y.count - 1 }.max() ?? 0
            xFiltered = [Float](repeating: 0, count: dimensions.x * (dimensions.y + 2 * yPadding))
        }

        /// Makes sure the slices that exist within `radius` of `outputs` are filtered and in the ring.
        mutating func advance(covering outputs: Range<Int>, source: UnsafePointer<Float>) {
            for zz in max(0, outputs.lowerBound - radius)...min(d.z - 1, outputs.upperBound - 1 + radius) {
                let slot = zz % filled.count
                guard filled[slot] != zz else { continue }
                for m in terms.indices { filterSlice(source + zz * d.x * d.y, term: m, slot: slot) }
                filled[slot] = zz
            }
        }

        /// ring[m][slot] = the slice filtered along x then y with term m's taps.
        private mutating func filterSlice(_ slice: UnsafePointer<Float>, term m: Int, slot: Int) {
            let (xTaps, yTaps) = (terms[m].x, terms[m].y)
            let pad = (rowBuffer.count - d.x) / 2
            let nx = d.x, ny = d.y, yPad = yPadding
            rowBuffer.withUnsafeMutableBufferPointer { row in
                xFiltered.withUnsafeMutableBufferPointer { xf in
                    for y in 0..<ny {
                        // Zero-padded copy of the row, so every tap reads inside the buffer.
                        (row.baseAddress! + pad).update(from: slice + y * nx, count: nx)
                        Convolution.symmetricFilter(UnsafePointer(row.baseAddress! + pad), stride: 1, taps: xTaps,
                                                    count: nx, into: xf.baseAddress! + (y + yPad) * nx)
                    }
                }
            }
            xFiltered.withUnsafeBufferPointer { xf in
                ring[m][slot].withUnsafeMutableBufferPointer { outSlice in
                    // The whole slice as one vector: neighbours along y are ±nx apart.
                    Convolution.symmetricFilter(xf.baseAddress! + yPad * nx, stride: nx, taps: yTaps,
                                                count: nx * ny, into: outSlice.baseAddress!)
                }
            }
        }

        /// For each output slice z in `outputs`: out(z) = Σ_m Σ_c z_m[|c|] · ring[m][z + c], over
        /// slices that exist; one weight column per output slice.
        mutating func combine(slices outputs: Range<Int>, into volume: UnsafeMutablePointer<Float>, sliceSize: Int) {
            sources.removeAll(keepingCapacity: true)
            weights.removeAll(keepingCapacity: true)
            for m in terms.indices {
                let zTaps = terms[m].z, r = zTaps.count - 1
                for zz in max(0, outputs.lowerBound - r)...min(d.z - 1, outputs.upperBound - 1 + r) {
                    // The ring's storage does not move while `self` is not mutated below.
                    sources.append(ring[m][zz % filled.count].withUnsafeBufferPointer { $0.baseAddress! })
                    for b in 0..<Self.block {
                        let distance = abs(zz - (outputs.lowerBound + b))
                        weights.append(b < outputs.count && distance <= r ? zTaps[distance] : 0)
                    }
                }
            }
            var outs = [UnsafeMutablePointer<Float>](repeating: volume, count: Self.block)
            for b in 0..<outputs.count { outs[b] = volume + (outputs.lowerBound + b) * sliceSize }
            Convolution.weightedSums4(sources, weights, count: sliceSize, into: outs, used: outputs.count)
        }
    }

    /// Direct convolution with an octant kernel: `octant[(a · (Ry + 1) + b) · (Rz + 1) + c]`
    /// is K(±a, ±b, ±c) for a ≤ Rx (along x), b ≤ Ry, c ≤ Rz. For each output row and each
    /// (b, c), the up to four input rows at (y ± b, z ± c) are summed into a zero-padded buffer,
    /// which is filtered along x with the taps K(·, b, c) and accumulated in registers.
    ///
    /// - Complexity: per voxel (Ry + 1)(Rz + 1)(Rx + 4) operations on contiguous rows.
    public static func octantSymmetric(_ input: [Float], dimensions d: SIMD3<Int>, octant: [Float],
                                       radius r: SIMD3<Int>) -> [Float] {
        precondition(input.count == d.x * d.y * d.z && octant.count == (r.x + 1) * (r.y + 1) * (r.z + 1))
        let sliceSize = d.x * d.y
        // Taps per (b, c), gathered once.
        let taps: [[Float]] = (0...r.y).flatMap { b in
            (0...r.z).map { c in (0...r.x).map { a in octant[(a * (r.y + 1) + b) * (r.z + 1) + c] } }
        }
        return [Float](unsafeUninitializedCapacity: input.count) { out, initialized in
            FreshMemory.prepare(UnsafeMutableRawPointer(out.baseAddress!), byteCount: input.count * 4, populate: true)
            let target = UncheckedSendable(out)
            input.withUnsafeBufferPointer { src in
                let source = UncheckedSendable(src)
                Parallel.forEachChunk(count: d.z, minimumChunk: 1) { _, slices in
                    var folded = [Float](repeating: 0, count: d.x + 2 * r.x)
                    var rows: [UnsafePointer<Float>] = []
                    rows.reserveCapacity(4)
                    folded.withUnsafeMutableBufferPointer { f in
                        let centre = f.baseAddress! + r.x
                        for z in slices {
                            for y in 0..<d.y {
                                let outRow = target.value.baseAddress! + z * sliceSize + y * d.x
                                outRow.initialize(repeating: 0, count: d.x)
                                for b in 0...r.y {
                                    for c in 0...r.z {
                                        rows.removeAll(keepingCapacity: true)
                                        // y ± b and z ± c (once when 0), without an array per step.
                                        for yy in stride(from: y - b, through: y + b, by: max(1, 2 * b)) where yy >= 0 && yy < d.y {
                                            for zz in stride(from: z - c, through: z + c, by: max(1, 2 * c)) where zz >= 0 && zz < d.z {
                                                rows.append(UnsafePointer(source.value.baseAddress! + zz * sliceSize + yy * d.x))
                                            }
                                        }
                                        guard !rows.isEmpty else { continue }
                                        sumRows(rows, count: d.x, into: centre)
                                        symmetricFilter(UnsafePointer(centre), stride: 1, taps: taps[b * (r.z + 1) + c],
                                                        count: d.x, into: outRow, accumulate: true)
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

    /// out[i] = taps[0] · c[i] + Σ_{a ≥ 1} taps[a] · (c[i − a·stride] + c[i + a·stride]) for
    /// i < n; the caller guarantees every index read is inside its (zero-padded) buffer. Pairs
    /// are added before multiplying; sixteen lanes accumulate in registers, stored once.
    @inline(__always)
    static func symmetricFilter(_ c: UnsafePointer<Float>, stride: Int, taps: [Float], count n: Int,
                                into out: UnsafeMutablePointer<Float>, accumulate: Bool = false) {
        taps.withUnsafeBufferPointer { w in
            let base = UnsafeRawPointer(c), o = UnsafeMutableRawPointer(out)
            let step = stride * 4, r = w.count - 1
            let w0 = SIMD8<Float>(repeating: w[0])
            var i = 0
            while i + 16 <= n {
                let at = i * 4
                var a0 = base.loadUnaligned(fromByteOffset: at, as: SIMD8<Float>.self) * w0
                var a1 = base.loadUnaligned(fromByteOffset: at + 32, as: SIMD8<Float>.self) * w0
                var k = 1
                while k <= r {
                    let wk = SIMD8<Float>(repeating: w[k])
                    let below = at - k * step, above = at + k * step
                    a0 += (base.loadUnaligned(fromByteOffset: below, as: SIMD8<Float>.self)
                        + base.loadUnaligned(fromByteOffset: above, as: SIMD8<Float>.self)) * wk
                    a1 += (base.loadUnaligned(fromByteOffset: below + 32, as: SIMD8<Float>.self)
                        + base.loadUnaligned(fromByteOffset: above + 32, as: SIMD8<Float>.self)) * wk
                    k += 1
                }
                if accumulate {
                    a0 += o.loadUnaligned(fromByteOffset: at, as: SIMD8<Float>.self)
                    a1 += o.loadUnaligned(fromByteOffset: at + 32, as: SIMD8<Float>.self)
                }
                o.storeBytes(of: a0, toByteOffset: at, as: SIMD8<Float>.self)
                o.storeBytes(of: a1, toByteOffset: at + 32, as: SIMD8<Float>.self)
                i += 16
            }
            while i < n {
                var a = c[i] * w[0]
                for k in Swift.stride(from: 1, through: r, by: 1) { a += (c[i - k * stride] + c[i + k * stride]) * w[k] }
                out[i] = accumulate ? out[i] + a : a
                i += 1
            }
        }
    }

    /// outs[b][i] = Σ_t weights[4t + b] · sources[t][i] for b < `used` (at most 4). Tiled: for
    /// each tile of 1024 elements the sources are read one after another (short contiguous
    /// streams the prefetchers follow), each vector feeding four output tiles held in L1.
    static func weightedSums4(_ sources: [UnsafePointer<Float>], _ weights: [Float], count n: Int,
                              into outs: [UnsafeMutablePointer<Float>], used: Int) {
        let tile = 1024
        sources.withUnsafeBufferPointer { src in
            weights.withUnsafeBufferPointer { w in
                for start in stride(from: 0, to: n, by: tile) {
                    let length = min(tile, n - start), body = length - length % 8
                    for b in 0..<used { (outs[b] + start).initialize(repeating: 0, count: length) }
                    let o0 = UnsafeMutableRawPointer(outs[0] + start)
                    let o1 = UnsafeMutableRawPointer(outs[min(1, used - 1)] + start)
                    let o2 = UnsafeMutableRawPointer(outs[min(2, used - 1)] + start)
                    let o3 = UnsafeMutableRawPointer(outs[min(3, used - 1)] + start)
                    for t in src.indices {
                        let p = UnsafeRawPointer(src[t] + start)
                        let w0 = SIMD8<Float>(repeating: w[4 * t]), w1 = SIMD8<Float>(repeating: used > 1 ? w[4 * t + 1] : 0)
                        let w2 = SIMD8<Float>(repeating: used > 2 ? w[4 * t + 2] : 0), w3 = SIMD8<Float>(repeating: used > 3 ? w[4 * t + 3] : 0)
                        var i = 0
                        while i < body {
                            let v = p.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
                            // Unused outputs alias output 0 with zero weights (adds 0).
                            o3.storeBytes(of: o3.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) + v * w3, toByteOffset: i * 4, as: SIMD8<Float>.self)
                            o2.storeBytes(of: o2.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) + v * w2, toByteOffset: i * 4, as: SIMD8<Float>.self)
                            o1.storeBytes(of: o1.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) + v * w1, toByteOffset: i * 4, as: SIMD8<Float>.self)
                            o0.storeBytes(of: o0.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self) + v * w0, toByteOffset: i * 4, as: SIMD8<Float>.self)
                            i += 8
                        }
                        while i < length {
                            let v = src[t][start + i]
                            for b in 0..<used { outs[b][start + i] += v * w[4 * t + b] }
                            i += 1
                        }
                    }
                }
            }
        }
    }

    /// out[i] = Σ_r rows[r][i].
    @inline(__always)
    static func sumRows(_ rows: [UnsafePointer<Float>], count n: Int, into out: UnsafeMutablePointer<Float>) {
        out.update(from: rows[0], count: n)
        for r in rows.dropFirst() { addScaled(r, weight: 1, count: n, into: out) }
    }

    /// out[i] += weight · src[i], eight lanes at a time with a scalar tail. Multiply then add,
    /// not `addingProduct`: a fused multiply-add has no instruction on the baseline x86-64
    /// target and becomes a call to libm's `fmaf` per element (measured 10× slower).
    @inline(__always)
    static func addScaled(_ src: UnsafePointer<Float>, weight: Float, count n: Int, into out: UnsafeMutablePointer<Float>) {
        let w = SIMD8<Float>(repeating: weight)
        var i = 0
        let body = n - n % 8
        let s = UnsafeRawPointer(src), o = UnsafeMutableRawPointer(out)
        while i < body {
            let v = s.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            let acc = o.loadUnaligned(fromByteOffset: i * 4, as: SIMD8<Float>.self)
            o.storeBytes(of: acc + v * w, toByteOffset: i * 4, as: SIMD8<Float>.self)
            i += 8
        }
        while i < n {
            out[i] += src[i] * weight
            i += 1
        }
    }
}
