import Foundation
import Testing
@testable import VoxelKernels
import TestSupport

// MARK: - Independent matrix helpers (plain [[Double]], Gauss–Jordan with partial pivoting)

typealias Matrix = [[Double]]

func multiply(_ a: Matrix, _ b: Matrix) -> Matrix {
    var m = Matrix(repeating: [Double](repeating: 0, count: b[0].count), count: a.count)
    for r in 0..<a.count { for c in 0..<b[0].count { for k in 0..<b.count { m[r][c] += a[r][k] * b[k][c] } } }
    return m
}

/// Inverse of a 3×3 matrix by Gauss–Jordan elimination, or nil when singular.
func invert3x3(_ a: Matrix) -> Matrix? {
    var m = (0..<3).map { r in a[r] + (0..<3).map { $0 == r ? 1.0 : 0.0 } }
    for col in 0..<3 {
        let pivot = (col..<3).max { abs(m[$0][col]) < abs(m[$1][col]) }!
        guard abs(m[pivot][col]) > 1e-300 else { return nil }
        m.swapAt(col, pivot)
        let p = m[col][col]
        m[col] = m[col].map { $0 / p }
        for r in 0..<3 where r != col {
            let f = m[r][col]
            for c in 0..<6 { m[r][c] -= f * m[col][c] }
        }
    }
    return m.map { Array($0[3...]) }
}

/// 4×4 affine [[L t], [0 0 0 1]] inverse via the 3×3 inverse: [[L⁻¹, −L⁻¹t]].
func invertAffine(_ a: Matrix) -> Matrix? {
    guard let li = invert3x3(a.prefix(3).map { Array($0.prefix(3)) }) else { return nil }
    let t = [a[0][3], a[1][3], a[2][3]]
    var out = Matrix()
    for r in 0..<3 { out.append(li[r] + [-(li[r][0] * t[0] + li[r][1] * t[1] + li[r][2] * t[2])]) }
    return out + [[0, 0, 0, 1]]
}

func applyMatrix(_ a: Matrix, _ p: [Double]) -> [Double] {
    (0..<3).map { r in a[r][0] * p[0] + a[r][1] * p[1] + a[r][2] * p[2] + a[r][3] }
}

/// Rotation about z by `yaw`, then about x by `pitch` (radians), times diag(spacing), plus shift.
func rotatedAffine(yaw: Double, pitch: Double, spacing: [Double], shift: [Double]) -> Matrix {
    let rz: Matrix = [[cos(yaw), -sin(yaw), 0], [sin(yaw), cos(yaw), 0], [0, 0, 1]]
    let rx: Matrix = [[1, 0, 0], [0, cos(pitch), -sin(pitch)], [0, sin(pitch), cos(pitch)]]
    let r = multiply(rx, rz)
    var m = Matrix()
    for i in 0..<3 { m.append((0..<3).map { r[i][$0] * spacing[$0] } + [shift[i]]) }
    return m + [[0, 0, 0, 1]]
}

func maxAbsDifference(_ a: Matrix, _ b: Matrix) -> Double {
    var worst = 0.0
    for r in 0..<min(a.count, b.count) { for c in 0..<4 { worst = max(worst, abs(a[r][c] - b[r][c])) } }
    return worst
}

// MARK: - AffineTransform

@Suite struct AffineTransformTests {
    let m: Matrix = rotatedAffine(yaw: 0.4, pitch: -0.3, spacing: [2, 3, 2.5], shift: [-35.5, 12.25, 48])

    @Test func rowMajorRoundTripAndApply() {
        let a = AffineTransform(rowMajor: m)
        #expect(maxAbsDifference(a.rowMajor, m) == 0)
        #expect(a.rowMajor[3] == [0, 0, 0, 1])
        // Hand calculation for a simple matrix.
        let b = AffineTransform(rowMajor: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 11, 12]])
        #expect(b.apply(SIMD3(1, -1, 2)) == SIMD3<Double>(1 - 2 + 6 + 4, 5 - 6 + 14 + 8, 9 - 10 + 22 + 12))
        #expect(AffineTransform.identity.apply(SIMD3(3.5, -2, 7)) == SIMD3(3.5, -2, 7))
        #expect(AffineTransform.scaling(SIMD3(2, 3, 4)).apply(SIMD3(1, 1, 1)) == SIMD3(2, 3, 4))
        var rng = SplitMix64(seed: 8)
        for _ in 0..<100 {
            let p = [Double.random(in: -50...50, using: &rng), Double.random(in: -50...50, using: &rng), Double.random(in: -50...50, using: &rng)]
            let got = a.apply(SIMD3(p[0], p[1], p[2]))
            let want = applyMatrix(m, p)
            for k in 0..<3 { #expect(abs(got[k] - want[k]) <= 1e-12 * max(1, abs(want[k]))) }
        }
    }

    @Test func determinantAndInverseAgainstGaussJordan() {
        let a = AffineTransform(rowMajor: m)
        // |det| of rotation·diag(s) is the product of the spacings.
        #expect(abs(abs(a.linearDeterminant) - 2 * 3 * 2.5) < 1e-12)
        #expect(AffineTransform(rowMajor: [[1, 2, 3, 4], [5, 6, 7, 8], [9, 10, 12, 12]]).linearDeterminant == -4)   // 1·2 − 2·(−3) + 3·(−4)
        let inv = try! #require(a.inverse)
        let reference = invertAffine(m)!
        #expect(maxAbsDifference(inv.rowMajor, reference) < 1e-12)
        // A⁻¹ ∘ A and A ∘ A⁻¹ are the identity.
        #expect(maxAbsDifference(inv.composed(after: a).rowMajor, AffineTransform.identity.rowMajor) < 1e-12)
        #expect(maxAbsDifference(a.composed(after: inv).rowMajor, AffineTransform.identity.rowMajor) < 1e-12)
        let p = SIMD3<Double>(3.25, -7, 11)
        let back = inv.apply(a.apply(p))
        #expect(((back - p) * (back - p)).sum().squareRoot() < 1e-12)
    }

    @Test func singularOrNonFiniteHasNoInverse() {
        #expect(AffineTransform(rowMajor: [[1, 2, 3, 0], [2, 4, 6, 0], [0, 0, 1, 0]]).inverse == nil)
        #expect(AffineTransform.scaling(SIMD3(1, 0, 1)).inverse == nil)
        #expect(AffineTransform.scaling(SIMD3(1, .nan, 1)).inverse == nil)
        #expect(!AffineTransform.scaling(SIMD3(1, .infinity, 1)).isFinite)
        #expect(AffineTransform.scaling(SIMD3(1, 2, 1)).isFinite)
    }

    @Test func composedMeansFirstOtherThenSelf() {
        let a = AffineTransform(rowMajor: m)
        let bm = rotatedAffine(yaw: -1.1, pitch: 0.7, spacing: [1, 0.5, 4], shift: [1, 2, 3])
        let b = AffineTransform(rowMajor: bm)
        let c = a.composed(after: b)
        #expect(maxAbsDifference(c.rowMajor, multiply(m, bm)) < 1e-12)
        let p = SIMD3<Double>(1.5, -2.5, 4)
        let d = c.apply(p) - a.apply(b.apply(p))
        #expect((d * d).sum().squareRoot() < 1e-11)
        // Non-commuting: the other order differs.
        #expect(maxAbsDifference(b.composed(after: a).rowMajor, multiply(m, bm)) > 1e-3)
    }
}

// MARK: - GridGeometry

@Suite struct GridGeometryTests {
    let base = AffineTransform(rowMajor: rotatedAffine(yaw: 0.3, pitch: 0.2, spacing: [2, 3, 4], shift: [10, -20, 30]))

    func shifted(_ a: AffineTransform, by d: SIMD3<Double>) -> AffineTransform {
        var b = a
        b.rows.0.w += d.x; b.rows.1.w += d.y; b.rows.2.w += d.z
        return b
    }

    @Test func countsAndVolume() {
        let g = GridGeometry(dimensions: SIMD3(4, 3, 2), spacingMM: SIMD3(2, 3, 4), affine: base)
        #expect(g.voxelCount == 24)
        #expect(abs(g.voxelVolumeML - 0.024) < 1e-15)
    }

    @Test func sameGridTolerance() {
        let dims = SIMD3(40, 30, 20)
        let g = GridGeometry(dimensions: dims, spacingMM: SIMD3(2, 3, 4), affine: base)
        #expect(g.isSameGrid(as: g))
        let near = GridGeometry(dimensions: dims, spacingMM: SIMD3(2, 3, 4), affine: shifted(base, by: SIMD3(5e-4, 0, 0)))
        #expect(g.isSameGrid(as: near), "a 5e-4 mm shift is within 1e-3 mm")
        let diagonalNear = GridGeometry(dimensions: dims, spacingMM: SIMD3(2, 3, 4), affine: shifted(base, by: SIMD3(4e-4, 4e-4, 4e-4)))
        #expect(g.isSameGrid(as: diagonalNear), "|(4,4,4)e-4| ≈ 6.9e-4 mm")
        let far = GridGeometry(dimensions: dims, spacingMM: SIMD3(2, 3, 4), affine: shifted(base, by: SIMD3(0, 0, -2e-3)))
        #expect(!g.isSameGrid(as: far), "a 2e-3 mm shift is not the same grid")
        #expect(abs(g.maximumDisplacementMM(to: far) - 2e-3) < 1e-12)
        let diagonalInside = GridGeometry(dimensions: dims, spacingMM: SIMD3(2, 3, 4), affine: shifted(base, by: SIMD3(7e-4, 7e-4, 0)))
        #expect(g.isSameGrid(as: diagonalInside), "|(7,7,0)e-4| ≈ 9.9e-4 mm is inside")
        let diagonalFar = GridGeometry(dimensions: dims, spacingMM: SIMD3(2, 3, 4), affine: shifted(base, by: SIMD3(8e-4, 8e-4, 0)))
        #expect(!g.isSameGrid(as: diagonalFar), "|(8,8,0)e-4| ≈ 1.13e-3 mm is outside")
        let otherDims = GridGeometry(dimensions: SIMD3(40, 30, 21), spacingMM: SIMD3(2, 3, 4), affine: base)
        #expect(!g.isSameGrid(as: otherDims))
        #expect(!g.isSameGrid(as: GridGeometry(dimensions: SIMD3(30, 40, 20), spacingMM: SIMD3(2, 3, 4), affine: base)))
    }

    /// A tiny rotation about the first voxel: the origin agrees, the far corner does not.
    @Test func displacementIsCheckedAtEveryVoxelNotJustTheOrigin() {
        let dims = SIMD3(100, 100, 50)
        let a = AffineTransform.scaling(SIMD3(2, 2, 2))
        let angle = 1e-5        // far corner ~283 mm from the origin → ~2.8e-3 mm displacement
        let r = AffineTransform(rowMajor: [[cos(angle), -sin(angle), 0, 0], [sin(angle), cos(angle), 0, 0], [0, 0, 1, 0]])
        let g = GridGeometry(dimensions: dims, spacingMM: SIMD3(2, 2, 2), affine: a)
        let h = GridGeometry(dimensions: dims, spacingMM: SIMD3(2, 2, 2), affine: r.composed(after: a))
        // Brute force over every voxel of the grid along its edges and a sample of the interior.
        var worst = 0.0
        for k in [0, 49] { for j in 0..<100 { for i in 0..<100 {
            let p = SIMD3(Double(i), Double(j), Double(k))
            let d = g.affine.apply(p) - h.affine.apply(p)
            worst = max(worst, (d * d).sum().squareRoot())
        } } }
        #expect(worst > 1e-3)
        #expect(abs(g.maximumDisplacementMM(to: h) - worst) < 1e-12)
        #expect(!g.isSameGrid(as: h))
        #expect(h.isSameGrid(as: g) == g.isSameGrid(as: h))
    }
}
