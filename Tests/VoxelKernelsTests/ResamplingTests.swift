import Foundation
import Testing
@testable import VoxelKernels
import TestSupport

@Suite struct ResamplingTests {
    /// Per-voxel reference: x = T·(i, j, k, 1), p = S⁻¹·x with S⁻¹ from Gauss–Jordan,
    /// index ⌊p + ½⌋ per axis, outside the source → 0. Voxels within 1e-7 of a rounding tie
    /// are reported as ambiguous (the library steps incrementally, so last-bit differences
    /// there are legitimate).
    func bruteForce(_ source: [Int32], sourceMatrix: Matrix, sourceDims: SIMD3<Int>,
                    targetMatrix: Matrix, targetDims: SIMD3<Int>) -> (labels: [Int32], ambiguous: Set<Int>) {
        let inv = invertAffine(sourceMatrix)!
        var out = [Int32](repeating: 0, count: targetDims.x * targetDims.y * targetDims.z)
        var ambiguous = Set<Int>()
        var n = 0
        for k in 0..<targetDims.z { for j in 0..<targetDims.y { for i in 0..<targetDims.x {
            defer { n += 1 }
            let world = applyMatrix(targetMatrix, [Double(i), Double(j), Double(k)])
            let p = applyMatrix(inv, world).map { $0 + 0.5 }
            if p.contains(where: { abs($0 - $0.rounded()) < 1e-7 }) { ambiguous.insert(n) }
            let idx = p.map { Int(floor($0)) }
            if idx[0] >= 0, idx[1] >= 0, idx[2] >= 0, idx[0] < sourceDims.x, idx[1] < sourceDims.y, idx[2] < sourceDims.z {
                out[n] = source[idx[0] + sourceDims.x * (idx[1] + sourceDims.y * idx[2])]
            }
        } } }
        return (out, ambiguous)
    }

    func randomLabels(_ count: Int, seed: UInt64) -> [Int32] {
        var rng = SplitMix64(seed: seed)
        return (0..<count).map { _ in Int32(rng.next() % 2001) - 1000 }
    }

    @Test(arguments: [0, 1])
    func rotatedAnisotropicShiftedSource(targetKind: Int) throws {
        let sourceDims = SIMD3(20, 17, 13)
        let sourceMatrix = rotatedAffine(yaw: 0.35, pitch: -0.25, spacing: [2.0, 3.0, 2.5], shift: [-12.3, 7.7, -4.1])
        let targetDims = SIMD3(36, 34, 30)
        let targetMatrix: Matrix = targetKind == 0
            ? [[1.7, 0, 0, -30.1], [0, 1.7, 0, -10.3], [0, 0, 1.7, -25.2], [0, 0, 0, 1]]
            : rotatedAffine(yaw: -0.2, pitch: 0.5, spacing: [1.3, 1.1, 1.9], shift: [-28.61, 41.07, -27.33])
        let source = randomLabels(sourceDims.x * sourceDims.y * sourceDims.z, seed: 42)
        let sourceGrid = GridGeometry(dimensions: sourceDims, spacingMM: SIMD3(2, 3, 2.5), affine: AffineTransform(rowMajor: sourceMatrix))
        let targetGrid = GridGeometry(dimensions: targetDims, spacingMM: SIMD3(1.7, 1.7, 1.7), affine: AffineTransform(rowMajor: targetMatrix))
        let got = try #require(Resampling.nearestNeighbourLabels(source, from: sourceGrid, onto: targetGrid))
        let (expected, ambiguous) = bruteForce(source, sourceMatrix: sourceMatrix, sourceDims: sourceDims,
                                               targetMatrix: targetMatrix, targetDims: targetDims)
        #expect(got.count == expected.count)
        let mismatches = (0..<expected.count).filter { got[$0] != expected[$0] && !ambiguous.contains($0) }
        #expect(mismatches.isEmpty, "\(mismatches.count) voxels differ, first \(mismatches.prefix(5))")
        #expect(ambiguous.count < 5, "geometry too close to rounding ties: \(ambiguous.count)")
        // The test means something: part of the target is inside the source, part outside.
        let inside = expected.indices.filter { expected[$0] != 0 }.count
        #expect(inside > expected.count / 10 && inside < expected.count * 9 / 10, "inside \(inside) of \(expected.count)")
    }

    @Test func identityResamplingReturnsInput() throws {
        let dims = SIMD3(11, 9, 7)
        let m = rotatedAffine(yaw: 0.9, pitch: 0.4, spacing: [1.5, 2.5, 3.5], shift: [3.3, -4.4, 5.5])
        let grid = GridGeometry(dimensions: dims, spacingMM: SIMD3(1.5, 2.5, 3.5), affine: AffineTransform(rowMajor: m))
        let labels = randomLabels(dims.x * dims.y * dims.z, seed: 7)
        #expect(try #require(Resampling.nearestNeighbourLabels(labels, from: grid, onto: grid)) == labels)
        let plain = GridGeometry(dimensions: dims, spacingMM: SIMD3(1, 1, 1), affine: .identity)
        #expect(try #require(Resampling.nearestNeighbourLabels(labels, from: plain, onto: plain)) == labels)
    }

    /// Exact binary arithmetic: source 2 mm, target 1 mm, so p = i/2 hits ties exactly.
    @Test func tiesGoUpHandComputed() throws {
        let source: [Int32] = (0..<64).map { Int32(1 + $0) }          // label = 1 + i + 4j + 16k
        let sourceGrid = GridGeometry(dimensions: SIMD3(4, 4, 4), spacingMM: SIMD3(2, 2, 2), affine: .scaling(SIMD3(2, 2, 2)))
        // Target 1 mm, starting 1 mm before the source origin: world x = i − 1, p = (i − 1)/2.
        let targetAffine = AffineTransform(rowMajor: [[1, 0, 0, -1], [0, 1, 0, 0], [0, 0, 1, 0]])
        let targetGrid = GridGeometry(dimensions: SIMD3(10, 1, 1), spacingMM: SIMD3(1, 1, 1), affine: targetAffine)
        let got = try #require(Resampling.nearestNeighbourLabels(source, from: sourceGrid, onto: targetGrid))
        // p = −0.5, 0, 0.5, 1, 1.5, 2, 2.5, 3, 3.5, 4 → ⌊p + ½⌋ = 0, 0, 1, 1, 2, 2, 3, 3, 4(out), 4(out)
        #expect(got == [1, 1, 2, 2, 3, 3, 4, 4, 0, 0])
    }

    @Test func singularSourceGivesNil() {
        let bad = GridGeometry(dimensions: SIMD3(2, 2, 2), spacingMM: SIMD3(1, 1, 1), affine: .scaling(SIMD3(1, 0, 1)))
        let ok = GridGeometry(dimensions: SIMD3(2, 2, 2), spacingMM: SIMD3(1, 1, 1), affine: .identity)
        #expect(Resampling.nearestNeighbourLabels([Int32](repeating: 1, count: 8), from: bad, onto: ok) == nil)
    }
}
