import Testing
@testable import VoxelKernels
import TestSupport

@Suite struct ReductionsTests {
    @Test(arguments: [0, 1, 2, 7, 8, 9, 15, 16, 17, 63, 1001, 4099, 100_003])
    func sumMinMaxMatchesPlainLoop(n: Int) {
        var rng = SplitMix64(seed: 500 + UInt64(n))
        let values = randomFloats(n, &rng).map { $0 + 0.25 }
        var sum = 0.0, absSum = 0.0
        var lo = Float.infinity, hi = -Float.infinity
        for v in values {
            sum += Double(v); absSum += abs(Double(v))
            if v < lo { lo = v }
            if v > hi { hi = v }
        }
        let r = values.withUnsafeBufferPointer { Reductions.sumMinMax($0) }
        #expect(approxEqual(r.sum, sum, rel: 1e-12, scale: absSum), "sum \(r.sum) vs \(sum)")
        #expect(r.min == lo && r.max == hi)
    }

    @Test func emptyInput() {
        let r = [Float]().withUnsafeBufferPointer { Reductions.sumMinMax($0) }
        #expect(r.sum == 0 && r.min == .infinity && r.max == -.infinity)
        let s = [Float]().withUnsafeBufferPointer { Reductions.sumOfSquaredDeviations($0, mean: 3) }
        #expect(s == 0)
    }

    @Test func extremesInTheTail() {
        // min/max in the scalar tail (n % 8 elements) and in the SIMD body.
        var values = [Float](repeating: 1, count: 19)
        values[18] = -5; values[17] = 9
        var r = values.withUnsafeBufferPointer { Reductions.sumMinMax($0) }
        #expect(r.min == -5 && r.max == 9 && r.sum == 17 - 5 + 9)
        values = [Float](repeating: 1, count: 19)
        values[3] = -5; values[12] = 9
        r = values.withUnsafeBufferPointer { Reductions.sumMinMax($0) }
        #expect(r.min == -5 && r.max == 9 && r.sum == 17 - 5 + 9)
    }

    @Test(arguments: [1, 3, 8, 13, 4099, 100_001])
    func sumOfSquaredDeviationsMatchesPlainLoop(n: Int) {
        var rng = SplitMix64(seed: 900 + UInt64(n))
        // A large offset makes the one-pass formula cancel; the two-pass one must not.
        let values = randomFloats(n, &rng).map { 1000 + $0 * 1e-3 }
        var sum = 0.0
        for v in values { sum += Double(v) }
        let mean = sum / Double(n)
        var ssd = 0.0
        for v in values { let d = Double(v) - mean; ssd += d * d }
        let r = values.withUnsafeBufferPointer { Reductions.sumOfSquaredDeviations($0, mean: mean) }
        #expect(approxEqual(r, ssd, rel: 1e-12), "\(r) vs \(ssd)")
    }

    @Test func handComputedSquaredDeviations() {
        // 2, 4, 4, 4, 5, 5, 7, 9 (mean 5): Σ(v − 5)² = 32; and the tail element 10 with mean 5.
        let values: [Float] = [2, 4, 4, 4, 5, 5, 7, 9, 10]
        let r = values.withUnsafeBufferPointer { Reductions.sumOfSquaredDeviations($0, mean: 5) }
        #expect(r == 32 + 25)
    }
}
