/// An affine map from voxel indices (i, j, k) to world coordinates in millimetres.
///
/// Stored as the top three rows of a 4×4 matrix, row-major; the fourth row is (0, 0, 0, 1).
/// NIfTI convention: world = A · (i, j, k, 1)ᵀ with voxel centres at integer indices.
public struct AffineTransform: Equatable, Sendable {
    /// Rows 0–2 of the 4×4 matrix.
    public var rows: (SIMD4<Double>, SIMD4<Double>, SIMD4<Double>)

    public init(rows: (SIMD4<Double>, SIMD4<Double>, SIMD4<Double>)) {
        self.rows = rows
    }

    /// From a 4×4 row-major matrix (the last row is ignored; it must be 0 0 0 1).
    public init(rowMajor m: [[Double]]) {
        precondition(m.count >= 3 && m.allSatisfy { $0.count == 4 }, "need a 3×4 or 4×4 matrix")
        rows = (SIMD4(m[0][0], m[0][1], m[0][2], m[0][3]),
                SIMD4(m[1][0], m[1][1], m[1][2], m[1][3]),
                SIMD4(m[2][0], m[2][1], m[2][2], m[2][3]))
    }

    /// diag(sx, sy, sz) with zero offset: NIfTI method 1 (pixdim only).
    public static func scaling(_ s: SIMD3<Double>) -> AffineTransform {
        AffineTransform(rows: (SIMD4(s.x, 0, 0, 0), SIMD4(0, s.y, 0, 0), SIMD4(0, 0, s.z, 0)))
    }

    public static let identity = scaling(SIMD3(1, 1, 1))

    public static func == (a: AffineTransform, b: AffineTransform) -> Bool {
        a.rows.0 == b.rows.0 && a.rows.1 == b.rows.1 && a.rows.2 == b.rows.2
    }

    /// The 4×4 matrix, row-major, including the (0, 0, 0, 1) row.
    public var rowMajor: [[Double]] {
        [rows.0, rows.1, rows.2].map { [$0.x, $0.y, $0.z, $0.w] } + [[0, 0, 0, 1]]
    }

    /// Every element finite.
    public var isFinite: Bool {
        rowMajor.allSatisfy { $0.allSatisfy(\.isFinite) }
    }

    /// A · (p, 1).
    @inlinable
    public func apply(_ p: SIMD3<Double>) -> SIMD3<Double> {
        let h = SIMD4(p.x, p.y, p.z, 1)
        return SIMD3((rows.0 * h).sum(), (rows.1 * h).sum(), (rows.2 * h).sum())
    }

    /// Determinant of the 3×3 linear part (mm³ per voxel, signed).
    public var linearDeterminant: Double {
        let (r0, r1, r2) = rows
        return r0.x * (r1.y * r2.z - r1.z * r2.y)
             - r0.y * (r1.x * r2.z - r1.z * r2.x)
             + r0.z * (r1.x * r2.y - r1.y * r2.x)
    }

    /// The inverse map, or nil when the linear part is singular.
    public var inverse: AffineTransform? {
        let det = linearDeterminant
        guard det != 0, det.isFinite else { return nil }
        let (r0, r1, r2) = rows
        // Inverse of the 3×3 part by cofactors.
        let i00 = (r1.y * r2.z - r1.z * r2.y) / det
        let i01 = (r0.z * r2.y - r0.y * r2.z) / det
        let i02 = (r0.y * r1.z - r0.z * r1.y) / det
        let i10 = (r1.z * r2.x - r1.x * r2.z) / det
        let i11 = (r0.x * r2.z - r0.z * r2.x) / det
        let i12 = (r0.z * r1.x - r0.x * r1.z) / det
        let i20 = (r1.x * r2.y - r1.y * r2.x) / det
        let i21 = (r0.y * r2.x - r0.x * r2.y) / det
        let i22 = (r0.x * r1.y - r0.y * r1.x) / det
        let t = SIMD3(r0.w, r1.w, r2.w)
        let t0 = -(i00 * t.x + i01 * t.y + i02 * t.z)
        let t1 = -(i10 * t.x + i11 * t.y + i12 * t.z)
        let t2 = -(i20 * t.x + i21 * t.y + i22 * t.z)
        return AffineTransform(rows: (SIMD4(i00, i01, i02, t0), SIMD4(i10, i11, i12, t1),
                                      SIMD4(i20, i21, i22, t2)))
    }

    /// self ∘ other: first `other`, then `self`.
    public func composed(after other: AffineTransform) -> AffineTransform {
        let a = rowMajor, b = other.rowMajor
        var m = [[Double]](repeating: [0, 0, 0, 0], count: 4)
        for r in 0..<4 { for c in 0..<4 { m[r][c] = (0..<4).reduce(0) { $0 + a[r][$1] * b[$1][c] } } }
        return AffineTransform(rowMajor: m)
    }
}

/// The voxel grid of a 3-D volume: its size and where it sits in the world.
public struct GridGeometry: Equatable, Sendable {
    /// Voxel counts along i, j, k.
    public var dimensions: SIMD3<Int>
    /// Voxel size in millimetres along i, j, k (from the header's pixdim, converted to mm).
    public var spacingMM: SIMD3<Double>
    /// Voxel index → world (mm).
    public var affine: AffineTransform

    public init(dimensions: SIMD3<Int>, spacingMM: SIMD3<Double>, affine: AffineTransform) {
        self.dimensions = dimensions
        self.spacingMM = spacingMM
        self.affine = affine
    }

    /// Total number of voxels.
    public var voxelCount: Int { dimensions.x * dimensions.y * dimensions.z }

    /// Voxel volume in millilitres: |det| of the affine's linear part (mm³) / 1000 — the
    /// volume the affine gives a voxel, which is what positions follow (CONTRACT.md hardening
    /// rules); the product of the spacings when the affine is singular or not finite.
    public var voxelVolumeML: Double {
        let det = abs(affine.linearDeterminant)
        return det.isFinite && det > 0 ? det / 1000 : spacingMM.x * spacingMM.y * spacingMM.z / 1000
    }

    /// The length (mm) of each voxel edge in the world: the norms of the affine's columns.
    public static func edgeLengthsMM(of affine: AffineTransform) -> SIMD3<Double> {
        let (r0, r1, r2) = affine.rows
        let squares: SIMD4<Double> = r0 * r0 + r1 * r1 + r2 * r2
        return SIMD3(squares.x.squareRoot(), squares.y.squareRoot(), squares.z.squareRoot())
    }

    /// Default tolerance (mm) within which two grids count as the same (ARCHITECTURE.md).
    public static let sameGridToleranceMM = 1e-3

    /// The largest distance (mm) between where the two affines put any voxel of this grid;
    /// since both maps are affine, the maximum over the eight corners is the maximum overall.
    public func maximumDisplacementMM(to other: GridGeometry) -> Double {
        let last = SIMD3<Double>(Double(dimensions.x - 1), Double(dimensions.y - 1), Double(dimensions.z - 1))
        var worst = 0.0
        for corner in 0..<8 {
            let p = SIMD3<Double>(corner & 1 == 0 ? 0 : last.x,
                                  corner & 2 == 0 ? 0 : last.y,
                                  corner & 4 == 0 ? 0 : last.z)
            let d = affine.apply(p) - other.affine.apply(p)
            worst = max(worst, (d * d).sum().squareRoot())
        }
        return worst
    }

    /// Same dimensions, and affines that agree within `toleranceMM` at every voxel.
    public func isSameGrid(as other: GridGeometry, toleranceMM: Double = sameGridToleranceMM) -> Bool {
        dimensions == other.dimensions && maximumDisplacementMM(to: other) <= toleranceMM
    }
}

/// A 3-D Float32 volume on a grid, voxels in NIfTI order (i fastest, then j, then k).
public struct ScalarVolume: Sendable {
    public var geometry: GridGeometry
    public var voxels: [Float]

    public init(geometry: GridGeometry, voxels: [Float]) {
        precondition(voxels.count == geometry.voxelCount, "voxel count does not match the grid")
        self.geometry = geometry
        self.voxels = voxels
    }
}
