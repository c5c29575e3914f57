/// Moving label images between grids.
public enum Resampling {
    /// Nearest-neighbour resampling of an integer label volume onto another grid, in world
    /// coordinates: for each target voxel centre x = A_target·(i, j, k, 1), the source index
    /// is p = A_source⁻¹·x, rounded per axis as ⌊p + ½⌋ (ties go up); voxels that fall outside
    /// the source grid get label 0.
    ///
    /// - Returns: labels on `target`, or nil when the source affine is singular.
    /// - Complexity: O(target voxels), split over z-slices across cores.
    public static func nearestNeighbourLabels(_ source: [Int32], from sourceGrid: GridGeometry,
                                              onto target: GridGeometry) -> [Int32]? {
        guard let sampler = WorldSampler(sourceGrid) else { return nil }
        return source.withUnsafeBufferPointer { src in
            let input = UncheckedSendable(src)
            return resampled(from: sourceGrid, onto: target) { p in sampler.nearestIndex(atIndex: p).map { input.value[$0] } ?? 0 }
        }
    }

    /// A scalar volume on `target` by trilinear interpolation in world coordinates
    /// (``WorldSampler/trilinear(_:atIndex:)``): NaN where a target voxel centre falls outside the
    /// source grid or next to a non-finite voxel; nil when the source affine is singular.
    public static func trilinear(_ values: [Float], from sourceGrid: GridGeometry, onto target: GridGeometry) -> [Float]? {
        guard let sampler = WorldSampler(sourceGrid) else { return nil }
        return values.withUnsafeBufferPointer { src in
            let input = UncheckedSendable(src)
            return resampled(from: sourceGrid, onto: target) { p in sampler.trilinear(input.value, atIndex: p) }
        }
    }

    /// `value(p)` for every voxel of `target`, p its centre's continuous index in `sourceGrid`
    /// (A_source⁻¹·A_target·(i, j, k, 1), stepped along rows), z-slices split across cores; nil
    /// when the source affine is singular.
    @inline(__always)
    static func resampled<T>(from sourceGrid: GridGeometry, onto target: GridGeometry,
                             _ value: (SIMD3<Double>) -> T) -> [T]? {
        guard let toSource = sourceGrid.affine.inverse?.composed(after: target.affine) else { return nil }
        let d = target.dimensions
        let origin = toSource.apply(.zero)
        let stepI = toSource.apply(SIMD3(1, 0, 0)) - origin
        let stepJ = toSource.apply(SIMD3(0, 1, 0)) - origin
        let stepK = toSource.apply(SIMD3(0, 0, 1)) - origin
        return withoutActuallyEscaping(value) { value in
            let sample = UncheckedSendable(value)
            return [T](unsafeUninitializedCapacity: target.voxelCount) { out, initialized in
                let output = UncheckedSendable(out.baseAddress!)
                Parallel.forEachChunk(count: d.z, minimumChunk: 1) { _, slices in
                    for k in slices {
                        for j in 0..<d.y {
                            let rowStart = origin + Double(j) * stepJ + Double(k) * stepK
                            let base = (k * d.y + j) * d.x
                            for i in 0..<d.x { (output.value + base + i).initialize(to: sample.value(rowStart + Double(i) * stepI)) }
                        }
                    }
                }
                initialized = target.voxelCount
            }
        }
    }
}

/// Values of a volume at world points (mm): what a picture of a slice in any plane needs.
public struct WorldSampler: Sendable {
    public let geometry: GridGeometry
    private let toIndex: AffineTransform

    /// Nil when the grid's affine is singular.
    public init?(_ geometry: GridGeometry) {
        guard let inverse = geometry.affine.inverse else { return nil }
        self.geometry = geometry
        toIndex = inverse
    }

    /// The continuous voxel index (i, j, k) of a world point.
    public func index(_ world: SIMD3<Double>) -> SIMD3<Double> { toIndex.apply(world) }

    /// The flat index (i + nx·(j + ny·k)) of the voxel whose centre is nearest to `world`, with
    /// ⌊p + ½⌋ per axis as ``Resampling/nearestNeighbourLabels(_:from:onto:)``; nil outside the grid.
    public func nearestIndex(_ world: SIMD3<Double>) -> Int? { nearestIndex(atIndex: toIndex.apply(world)) }

    /// ``nearestIndex(_:)`` of a point given by its continuous voxel index.
    @inline(__always)
    public func nearestIndex(atIndex index: SIMD3<Double>) -> Int? {
        // ⌊p⌋ of a p ≥ 0 is its truncation (no libm call per point).
        let p = index + 0.5, d = geometry.dimensions
        guard p.x >= 0, p.y >= 0, p.z >= 0, p.x < Double(d.x), p.y < Double(d.y), p.z < Double(d.z) else { return nil }
        return Int(p.x) + d.x * (Int(p.y) + d.y * Int(p.z))
    }

    /// Trilinear interpolation of `values` at `world`: the 8 voxel centres around it weighted by
    /// (1 − |Δ|) per axis; a point within half a voxel of the outer centres takes the edge value.
    /// Nil outside the grid or when a neighbour with positive weight is not finite.
    public func trilinear(_ values: [Float], at world: SIMD3<Double>) -> Float? {
        let v = values.withUnsafeBufferPointer { trilinear($0, atIndex: toIndex.apply(world)) }
        return v.isNaN ? nil : v
    }

    /// ``trilinear(_:at:)`` of a point given by its continuous voxel index, NaN for nil (the
    /// report's pictures sample millions of points).
    @inline(__always)
    public func trilinear(_ values: UnsafeBufferPointer<Float>, atIndex index: SIMD3<Double>) -> Float {
        let d = geometry.dimensions
        let upper = SIMD3<Double>(Double(d.x - 1), Double(d.y - 1), Double(d.z - 1))
        guard index.x > -0.5, index.y > -0.5, index.z > -0.5,
              index.x < upper.x + 0.5, index.y < upper.y + 0.5, index.z < upper.z + 0.5 else { return .nan }
        // Clamped per axis (the generic SIMD clamp is a call per point).
        let p = SIMD3(min(max(index.x, 0), upper.x), min(max(index.y, 0), upper.y), min(max(index.z, 0), upper.z))
        let i0 = Int(p.x), j0 = Int(p.y), k0 = Int(p.z)  // ⌊p⌋, p ≥ 0
        let f = p - SIMD3(Double(i0), Double(j0), Double(k0))
        let i1 = min(i0 + 1, d.x - 1) - i0, j1 = (min(j0 + 1, d.y - 1) - j0) * d.x, k1 = (min(k0 + 1, d.z - 1) - k0) * d.x * d.y
        let n = i0 + d.x * (j0 + d.y * k0)
        let gx = 1 - f.x, gy = 1 - f.y, gz = 1 - f.z
        var sum = 0.0
        var bad = false
        @inline(__always) func add(_ offset: Int, _ weight: Double) {
            guard weight > 0 else { return }
            let v = values[n + offset]
            if v.isFinite { sum += weight * Double(v) } else { bad = true }
        }
        add(0, gx * gy * gz); add(i1, f.x * gy * gz); add(j1, gx * f.y * gz); add(i1 + j1, f.x * f.y * gz)
        add(k1, gx * gy * f.z); add(i1 + k1, f.x * gy * f.z); add(j1 + k1, gx * f.y * f.z); add(i1 + j1 + k1, f.x * f.y * f.z)
        if bad { return .nan }
        return Float(sum)
    }

    /// ``trilinear(_:atIndex:)`` at every point of a `width` × `height` lattice, `origin + u·stepU +
    /// v·stepV` (continuous indices), written row by row (v outer) into `out`: a picture of a plane.
    ///
    /// When the lattice lies in one k-plane of the grid (`stepU.z` = `stepV.z` = 0: an axial
    /// picture of an axially stacked scan) the two k-planes around it are blended once over the
    /// lattice's bounding box, (1 − fz)·v(k₀) + fz·v(k₀ + 1), and each point is a bilinear lookup in
    /// that blend: the same weights and the same rule for non-finite neighbours, summed in another
    /// order (equal to within Float32 rounding). Any other lattice takes the point-by-point path.
    public func sampleLattice(_ values: UnsafeBufferPointer<Float>, origin: SIMD3<Double>, stepU: SIMD3<Double>,
                              stepV: SIMD3<Double>, width: Int, height: Int, into out: UnsafeMutableBufferPointer<Float>) {
        precondition(out.count >= width * height)
        guard width > 0, height > 0 else { return }
        guard stepU.z == 0, stepV.z == 0 else {
            for v in 0..<height {
                for u in 0..<width { out[v * width + u] = trilinear(values, atIndex: origin + Double(u) * stepU + Double(v) * stepV) }
            }
            return
        }
        let d = geometry.dimensions
        let upper = SIMD2<Double>(Double(d.x - 1), Double(d.y - 1))
        guard origin.z > -0.5, origin.z < Double(d.z) - 0.5 else {
            out.update(repeating: .nan)
            return
        }
        // The blend of the k-planes, over the voxels the lattice can reach.
        let pz = min(max(origin.z, 0), Double(d.z - 1))
        let k0 = Int(pz), fz = pz - Double(k0), gz = 1 - fz, k1 = min(k0 + 1, d.z - 1)
        let corners = [origin, origin + Double(width - 1) * stepU, origin + Double(height - 1) * stepV,
                       origin + Double(width - 1) * stepU + Double(height - 1) * stepV]
        func span(_ axis: KeyPath<SIMD3<Double>, Double>, _ n: Int) -> ClosedRange<Int> {
            let low = corners.map { $0[keyPath: axis] }.min()!, high = corners.map { $0[keyPath: axis] }.max()!
            let from = Int(min(max(low, 0), Double(n - 1))), to = min(Int(min(max(high, 0), Double(n - 1))) + 1, n - 1)
            return from...to
        }
        let iSpan = span(\.x, d.x), jSpan = span(\.y, d.y)
        let planeWidth = iSpan.count
        var plane = [Double](repeating: 0, count: planeWidth * jSpan.count)
        for j in jSpan {
            for i in iSpan {
                let n = i + d.x * j, a = values[n + d.x * d.y * k0], b = values[n + d.x * d.y * k1]
                let bad = (gz > 0 && !a.isFinite) || (fz > 0 && !b.isFinite)
                plane[(i - iSpan.lowerBound) + planeWidth * (j - jSpan.lowerBound)] = bad ? .nan : gz * Double(gz > 0 ? a : 0) + fz * Double(fz > 0 ? b : 0)
            }
        }
        plane.withUnsafeBufferPointer { plane in
            for v in 0..<height {
                for u in 0..<width {
                    let x = origin.x + Double(u) * stepU.x + Double(v) * stepV.x, y = origin.y + Double(u) * stepU.y + Double(v) * stepV.y
                    guard x > -0.5, y > -0.5, x < upper.x + 0.5, y < upper.y + 0.5 else {
                        out[v * width + u] = .nan
                        continue
                    }
                    let px = min(max(x, 0), upper.x), py = min(max(y, 0), upper.y)
                    let i0 = Int(px), j0 = Int(py)  // ⌊p⌋, p ≥ 0
                    let fx = px - Double(i0), fy = py - Double(j0), gx = 1 - fx, gy = 1 - fy
                    let i1 = min(i0 + 1, d.x - 1) - i0, j1 = (min(j0 + 1, d.y - 1) - j0) * planeWidth
                    let n = (i0 - iSpan.lowerBound) + planeWidth * (j0 - jSpan.lowerBound)
                    var sum = 0.0, bad = false
                    @inline(__always) func add(_ offset: Int, _ weight: Double) {
                        guard weight > 0 else { return }
                        let value = plane[n + offset]
                        if value.isNaN { bad = true } else { sum += weight * value }
                    }
                    add(0, gx * gy); add(i1, fx * gy); add(j1, gx * fy); add(i1 + j1, fx * fy)
                    out[v * width + u] = bad ? .nan : Float(sum)
                }
            }
        }
    }
}
