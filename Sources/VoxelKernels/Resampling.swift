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
        guard let toSource = sourceGrid.affine.inverse?.composed(after: target.affine) else { return nil }
        let d = target.dimensions, s = sourceGrid.dimensions
        let origin = toSource.apply(.zero)
        let stepI = toSource.apply(SIMD3(1, 0, 0)) - origin
        let stepJ = toSource.apply(SIMD3(0, 1, 0)) - origin
        let stepK = toSource.apply(SIMD3(0, 0, 1)) - origin
        let sliceSize = d.x * d.y
        return [Int32](unsafeUninitializedCapacity: target.voxelCount) { out, initialized in
            let output = UncheckedSendable(out)
            source.withUnsafeBufferPointer { src in
                let input = UncheckedSendable(src)
                Parallel.forEachChunk(count: d.z, minimumChunk: 1) { _, slices in
                    for k in slices {
                        for j in 0..<d.y {
                            let rowStart = origin + Double(j) * stepJ + Double(k) * stepK
                            let base = k * sliceSize + j * d.x
                            for i in 0..<d.x {
                                let p = (rowStart + Double(i) * stepI + 0.5).rounded(.down)
                                var label: Int32 = 0
                                if p.x >= 0, p.y >= 0, p.z >= 0,
                                   p.x < Double(s.x), p.y < Double(s.y), p.z < Double(s.z) {
                                    label = input.value[Int(p.x) + s.x * (Int(p.y) + s.y * Int(p.z))]
                                }
                                output.value[base + i] = label
                            }
                        }
                    }
                }
            }
            initialized = target.voxelCount
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
        let p = (index + 0.5).rounded(.down), d = geometry.dimensions
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
        let p = index.clamped(lowerBound: .zero, upperBound: upper)
        let base = p.rounded(.down)
        let f = p - base
        let i0 = Int(base.x), j0 = Int(base.y), k0 = Int(base.z)
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
}
