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

    /// The flat index (i + nx·(j + ny·k)) of the voxel whose centre is nearest to `world`, with
    /// ⌊p + ½⌋ per axis as ``Resampling/nearestNeighbourLabels(_:from:onto:)``; nil outside the grid.
    public func nearestIndex(_ world: SIMD3<Double>) -> Int? {
        let p = (toIndex.apply(world) + 0.5).rounded(.down), d = geometry.dimensions
        guard p.x >= 0, p.y >= 0, p.z >= 0, p.x < Double(d.x), p.y < Double(d.y), p.z < Double(d.z) else { return nil }
        return Int(p.x) + d.x * (Int(p.y) + d.y * Int(p.z))
    }

    /// Trilinear interpolation of `values` at `world`: the 8 voxel centres around it weighted by
    /// (1 − |Δ|) per axis; a point within half a voxel of the outer centres takes the edge value.
    /// Nil outside the grid or when a neighbour with positive weight is not finite.
    public func trilinear(_ values: [Float], at world: SIMD3<Double>) -> Float? {
        let d = geometry.dimensions
        var p = toIndex.apply(world)
        let upper = SIMD3<Double>(Double(d.x - 1), Double(d.y - 1), Double(d.z - 1))
        guard p.x > -0.5, p.y > -0.5, p.z > -0.5, p.x < upper.x + 0.5, p.y < upper.y + 0.5, p.z < upper.z + 0.5 else { return nil }
        p = p.clamped(lowerBound: .zero, upperBound: upper)
        let base = p.rounded(.down)
        let f = p - base
        let i0 = Int(base.x), j0 = Int(base.y), k0 = Int(base.z)
        var sum = 0.0
        for dk in 0...1 {
            let wk = dk == 0 ? 1 - f.z : f.z
            guard wk > 0 else { continue }
            for dj in 0...1 {
                let wj = dj == 0 ? 1 - f.y : f.y
                guard wj > 0 else { continue }
                for di in 0...1 {
                    let wi = di == 0 ? 1 - f.x : f.x
                    guard wi > 0 else { continue }
                    let v = values[min(i0 + di, d.x - 1) + d.x * (min(j0 + dj, d.y - 1) + d.y * min(k0 + dk, d.z - 1))]
                    guard v.isFinite else { return nil }
                    sum += wi * wj * wk * Double(v)
                }
            }
        }
        return Float(sum)
    }
}
