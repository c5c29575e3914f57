/// Means over spheres of voxel centres, for SUVpeak (REFERENCE.md §2.1: the mean of the finite
/// voxels whose centres lie within the radius of a centre voxel, inside or outside the lesion).
public enum SphereMeans {
    /// A run of voxels along x: rows at (dj, dk) from the centre, x offsets −halfWidth…halfWidth.
    public struct Row: Sendable, Equatable {
        public var dj: Int, dk: Int, halfWidth: Int
    }

    /// The most voxels a sphere may hold (CONTRACT.md hardening rules: work a user's number
    /// controls is bounded before it starts).
    public static let maximumVoxels = 1_000_000

    /// The number of voxels in the sphere of radius `radiusMM` on `spacingMM`, counted exactly
    /// when the sphere is within ``maximumVoxels``; `.infinity` when it is surely larger (so
    /// that neither this count nor ``rows(radiusMM:spacingMM:)`` does unbounded work).
    public static func voxelCount(radiusMM r: Double, spacingMM s: SIMD3<Double>) -> Double {
        let reach = SIMD3(r / s.x, r / s.y, r / s.z)
        guard r.isFinite, r >= 0, (0..<3).allSatisfy({ reach[$0].isFinite }) else { return .infinity }
        // Rows inside the (y, z) ellipse hold at least one voxel each: about π/4 of the box.
        let rowBox = (2 * reach.y.rounded(.down) + 1) * (2 * reach.z.rounded(.down) + 1)
        let ellipsoid = 4 / 3 * Double.pi * reach.x * reach.y * reach.z
        guard rowBox <= 4 * Double(maximumVoxels), ellipsoid <= 4 * Double(maximumVoxels), reach.x <= Double(maximumVoxels) else {
            return .infinity
        }
        return Double(rows(radiusMM: r, spacingMM: s).reduce(0) { $0 + 2 * $1.halfWidth + 1 })
    }

    /// The sphere of radius `radiusMM` as rows along x: every voxel (di, dj, dk) with
    /// (di·sx)² + (dj·sy)² + (dk·sz)² ≤ r² (centre distances; anisotropic spacing honoured).
    public static func rows(radiusMM r: Double, spacingMM s: SIMD3<Double>) -> [Row] {
        // One relative tolerance on every axis, so a voxel exactly on the sphere (r = 3·s, say)
        // is inside along x, y and z alike and the sphere stays symmetric.
        let tolerance = 1e-9
        var rows: [Row] = []
        let rj = Int((r / s.y + tolerance).rounded(.down)), rk = Int((r / s.z + tolerance).rounded(.down))
        for dk in -rk...rk {
            for dj in -rj...rj {
                let rest = r * r - Double(dj * dj) * s.y * s.y - Double(dk * dk) * s.z * s.z
                guard rest >= -tolerance * r * r else { continue }
                rows.append(Row(dj: dj, dk: dk, halfWidth: Int((max(rest, 0).squareRoot() / s.x + tolerance).rounded(.down))))
            }
        }
        return rows
    }

    /// For each centre (a linear voxel index), the mean of the finite values within the sphere,
    /// clipped to the volume; NaN when there is none. Centres split across cores.
    /// - Complexity: O(centres × voxels per sphere), on contiguous row segments.
    public static func means(_ values: [Float], dimensions d: SIMD3<Int>, spacingMM: SIMD3<Double>,
                             radiusMM: Double, centres: [Int]) -> [Double] {
        let sphere = rows(radiusMM: radiusMM, spacingMM: spacingMM)
        var result = [Double](repeating: .nan, count: centres.count)
        result.withUnsafeMutableBufferPointer { out in
            let output = UncheckedSendable(out.baseAddress!)
            values.withUnsafeBufferPointer { v in
                let input = UncheckedSendable(v.baseAddress!)
                Parallel.forEachChunk(count: centres.count, minimumChunk: 256) { _, range in
                    for c in range {
                        let index = centres[c]
                        let i = index % d.x, j = (index / d.x) % d.y, k = index / (d.x * d.y)
                        var sum = 0.0, n = 0
                        for row in sphere {
                            let jj = j + row.dj, kk = k + row.dk
                            guard jj >= 0, jj < d.y, kk >= 0, kk < d.z else { continue }
                            let lo = max(0, i - row.halfWidth), hi = min(d.x - 1, i + row.halfWidth)
                            let base = input.value + (kk * d.y + jj) * d.x
                            for ii in lo...hi where base[ii].isFinite {
                                sum += Double(base[ii])
                                n += 1
                            }
                        }
                        output.value[c] = n > 0 ? sum / Double(n) : .nan
                    }
                }
            }
        }
        return result
    }
}
