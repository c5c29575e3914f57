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

    /// Trilinear reference written from the definition: the 8 voxel centres around the clamped
    /// point weighted by (1 − |Δ|) per axis; NaN outside (−½, n − ½) or when a neighbour with
    /// positive weight is not finite.
    func trilinearReference(_ v: [Float], dims d: SIMD3<Int>, at p: SIMD3<Double>) -> Float {
        let n = [d.x, d.y, d.z], q = [p.x, p.y, p.z]
        guard (0..<3).allSatisfy({ q[$0] > -0.5 && q[$0] < Double(n[$0]) - 0.5 }) else { return .nan }
        let c = (0..<3).map { min(max(q[$0], 0), Double(n[$0] - 1)) }
        let lo = c.map { Int(floor($0)) }
        var sum = 0.0
        for corner in 0..<8 {
            var index = [0, 0, 0], weight = 1.0
            for axis in 0..<3 {
                let up = corner >> axis & 1 == 1
                index[axis] = min(lo[axis] + (up ? 1 : 0), n[axis] - 1)
                weight *= up ? c[axis] - Double(lo[axis]) : 1 - (c[axis] - Double(lo[axis]))
            }
            guard weight > 0 else { continue }
            let value = v[index[0] + d.x * (index[1] + d.y * index[2])]
            if !value.isFinite { return .nan }
            sum += weight * Double(value)
        }
        return Float(sum)
    }

    /// A picture's lattice: the k-plane fast path (axial steps) and the point-by-point path
    /// (oblique steps) against the reference, with non-finite voxels, edges and points outside.
    @Test(arguments: [false, true])
    func latticeSamplingMatchesTrilinearDefinition(oblique: Bool) throws {
        let dims = SIMD3(9, 8, 6)
        var rng = SplitMix64(seed: 11)
        var voxels = (0..<(dims.x * dims.y * dims.z)).map { _ in Float(rng.next() % 10_000) / 100 }
        voxels[3 + 9 * (4 + 8 * 2)] = .nan
        voxels[5 + 9 * (1 + 8 * 3)] = .infinity
        let grid = GridGeometry(dimensions: dims, spacingMM: SIMD3(2, 2, 2.5), affine: .scaling(SIMD3(2, 2, 2.5)))
        let sampler = try #require(WorldSampler(grid))
        let (width, height) = (40, 37)
        for z in [-0.6, -0.2, 0, 1.7, 2.3, 2.5, 4.999, 5.2, 5.6] {
            let origin = SIMD3(-1.3, -0.9, z)
            let stepU = SIMD3(0.27, 0.031, oblique ? 0.05 : 0), stepV = SIMD3(-0.02, 0.25, oblique ? -0.03 : 0)
            var out = [Float](repeating: 0, count: width * height)
            voxels.withUnsafeBufferPointer { v in
                out.withUnsafeMutableBufferPointer {
                    sampler.sampleLattice(v, origin: origin, stepU: stepU, stepV: stepV, width: width, height: height, into: $0)
                }
            }
            var nans = 0
            for v in 0..<height {
                for u in 0..<width {
                    let expected = trilinearReference(voxels, dims: dims, at: origin + Double(u) * stepU + Double(v) * stepV)
                    let got = out[v * width + u]
                    if expected.isNaN { nans += 1 }
                    #expect(expected.isNaN ? got.isNaN : abs(got - expected) <= 1e-5 * max(1, abs(expected)),
                            "z \(z) u \(u) v \(v): \(got) vs \(expected)")
                }
            }
            #expect(nans > 0, "the lattice reaches outside the grid and the non-finite voxels")
        }
    }

    /// Trilinear interpolation reproduces a linear field exactly inside the grid (analytic).
    @Test func latticeSamplingReproducesALinearField() throws {
        let dims = SIMD3(7, 6, 5)
        var voxels = [Float](repeating: 0, count: dims.x * dims.y * dims.z)
        for k in 0..<dims.z { for j in 0..<dims.y { for i in 0..<dims.x {
            voxels[i + dims.x * (j + dims.y * k)] = Float(3 + 2 * i - j + 4 * k)
        } } }
        let sampler = try #require(WorldSampler(GridGeometry(dimensions: dims, spacingMM: SIMD3(1, 1, 1), affine: .identity)))
        var out = [Float](repeating: 0, count: 10 * 10)
        let origin = SIMD3(0.3, 0.45, 2.6), stepU = SIMD3(0.5, 0.05, 0.0), stepV = SIMD3(0.05, 0.45, 0.0)  // inside the grid
        voxels.withUnsafeBufferPointer { v in
            out.withUnsafeMutableBufferPointer { sampler.sampleLattice(v, origin: origin, stepU: stepU, stepV: stepV, width: 10, height: 10, into: $0) }
        }
        for v in 0..<10 {
            for u in 0..<10 {
                let p = origin + Double(u) * stepU + Double(v) * stepV
                #expect(abs(Double(out[v * 10 + u]) - (3 + 2 * p.x - p.y + 4 * p.z)) < 1e-4)
            }
        }
    }
}
