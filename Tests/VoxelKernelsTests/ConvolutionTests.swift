import Testing
@testable import VoxelKernels

/// The convolution kernels against the definition evaluated voxel by voxel in Float64.
@Suite struct ConvolutionTests {
    static func noise(_ count: Int, seed: UInt64) -> [Float] {
        var state = seed
        return (0..<count).map { _ in
            state = state &* 6364136223846793005 &+ 1442695040888963407
            return Float(Int64(bitPattern: state >> 11) % 2000 - 500) / 100  // negatives too
        }
    }

    @Test(arguments: [SIMD3<Int>(9, 7, 6), SIMD3(16, 5, 11), SIMD3(3, 3, 3)])
    func separableMatchesDefinition(dimensions d: SIMD3<Int>) {
        let input = Self.noise(d.x * d.y * d.z, seed: 7)
        let terms = [
            Convolution.SeparableTerm(x: [1.0, 0.5, 0.25], y: [0.8, 0.1], z: [2.0, 0.3, 0.2, 0.1]),
            Convolution.SeparableTerm(x: [0.05], y: [1.0, 0.9, 0.8, 0.7, 0.6], z: [0.4, 0.2]),
        ]
        let fast = Convolution.separableSymmetric(input, dimensions: d, terms: terms)
        let radius = SIMD3(4, 4, 3)
        let slow = Convolution.reference(input, dimensions: d, radius: radius) { i, j, k in
            terms.reduce(0.0) { sum, t in
                func tap(_ a: [Float], _ n: Int) -> Double { abs(n) < a.count ? Double(a[abs(n)]) : 0 }
                return sum + tap(t.x, i) * tap(t.y, j) * tap(t.z, k)
            }
        }
        for (a, b) in zip(fast, slow) { #expect(abs(a - b) <= 1e-4 * max(1, abs(b))) }
    }

    @Test(arguments: [SIMD3<Int>(9, 7, 6), SIMD3(4, 12, 5)])
    func octantMatchesDefinition(dimensions d: SIMD3<Int>) {
        let input = Self.noise(d.x * d.y * d.z, seed: 11)
        let r = SIMD3(2, 3, 1)
        let octant = (0..<((r.x + 1) * (r.y + 1) * (r.z + 1))).map { Float(1) / Float($0 + 1) }
        let fast = Convolution.octantSymmetric(input, dimensions: d, octant: octant, radius: r)
        let slow = Convolution.reference(input, dimensions: d, radius: r) { i, j, k in
            Double(octant[(abs(i) * (r.y + 1) + abs(j)) * (r.z + 1) + abs(k)])
        }
        for (a, b) in zip(fast, slow) { #expect(abs(a - b) <= 1e-4 * max(1, abs(b))) }
    }

    @Test func elementwiseMapsMatchScalarTwins() {
        let values = Self.noise(1000, seed: 3) + [.nan, .infinity, 0]
        let divisor = values.indices.map { Float(1 + $0 % 5) / 4 }
        #expect(ElementwiseMaps.scaled(values, by: 3.5).elementsEqual(ElementwiseMaps.scaledReference(values, by: 3.5),
                                                                       by: { $0 == $1 || ($0.isNaN && $1.isNaN) }))
        #expect(ElementwiseMaps.scaledDividing(values, by: divisor, factor: 2)
            .elementsEqual(ElementwiseMaps.scaledDividingReference(values, by: divisor, factor: 2),
                           by: { $0 == $1 || ($0.isNaN && $1.isNaN) }))
    }

    @Test func maskedSumSkipsNonFiniteValues() {
        let values: [Float] = [1, 2, .nan, 4, -3, .infinity]
        let mask: [Int32] = [1, 0, 1, 2, 1, 1]
        let result = Reductions.maskedSum(values, mask: mask)
        #expect(result.sum == 2 && result.voxels == 5 && result.nonFinite == 2)
    }
}
