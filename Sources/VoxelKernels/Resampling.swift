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
