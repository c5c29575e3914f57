import Foundation
import Testing
@testable import VOIStatistics
import TestSupport

/// Dose-volume metrics on small arrays, expected values worked out by hand.
@Suite struct DoseVolumeMetricsTests {
    static let doses: [Float] = [10, 20, 30, 40, 50]

    /// D70 = the 30th percentile: h = 4 · 0.3 = 1.2 → 20 + 0.2 · 10 = 22; D2 = 98th: h = 3.92 → 49.2;
    /// D50 = median 30; D100 = minimum 10; D0 = maximum 50.
    @Test func dxIsTheComplementaryPercentile() {
        var copy = Self.doses
        let d = copy.withUnsafeMutableBufferPointer { buffer in
            var b = buffer
            return DoseVolumeMetrics.dx(&b, percents: [70, 2, 50, 100, 0])
        }
        #expect(zip(d, [22, 49.2, 30, 10, 50]).allSatisfy { abs($0 - $1) < 1e-9 })
    }

    /// V30 = 3 of 5 = 60 % (30 counts: ≥); V30.5 = 40 %; V0 = 100 %; V51 = 0 %.
    @Test func vxCountsAtOrAbove() {
        let v = Self.doses.withUnsafeBufferPointer { DoseVolumeMetrics.vx($0, levelsGy: [30, 30.5, 0, 51]) }
        #expect(v == [60, 40, 100, 0])
    }

    /// Bin 20 Gy, maximum 50: rows at 0, 20, 40, 60 (the first multiple ≥ 50), with 100, 80, 40, 0 %.
    /// A negative dose is below level 0.
    @Test func cumulativeDVH() {
        let rows = Self.doses.withUnsafeBufferPointer { DoseVolumeMetrics.cumulativeDVH($0, binGy: 20) }
        #expect(rows.map(\.doseGy) == [0, 20, 40, 60])
        #expect(rows.map(\.volumePct) == [100, 80, 40, 0])
        let withNegative: [Float] = [-1, 1, 2]
        let r2 = withNegative.withUnsafeBufferPointer { DoseVolumeMetrics.cumulativeDVH($0, binGy: 1) }
        #expect(r2.map(\.doseGy) == [0, 1, 2])
        #expect(abs(r2[0].volumePct - 200.0 / 3) < 1e-12 && abs(r2[1].volumePct - 200.0 / 3) < 1e-12)
        // A maximum exactly on a multiple ends there.
        let exact: [Float] = [0, 2]
        #expect(exact.withUnsafeBufferPointer { DoseVolumeMetrics.cumulativeDVH($0, binGy: 1) }.map(\.doseGy) == [0, 1, 2])
    }

    /// The binned DVH equals the definition applied level by level (count of D ≥ k·b, with k·b
    /// in Float64), for bins that are not exact in binary (0.1, 0.3 Gy), doses placed exactly on
    /// levels, negative doses and an all-negative region.
    @Test func binnedDVHMatchesTheDefinitionLevelByLevel() {
        var rng = SplitMix64(seed: 31)
        for bin in [0.1, 0.3, 1, 2.5, 7] {
            var doses = (0..<4000).map { _ in Float(Double(rng.next() % 1_000_000) / 1e4 - 5) }
            doses += (0..<50).map { Float(Double($0) * bin) }       // exactly on (Float-rounded) levels
            let rows = doses.withUnsafeBufferPointer { DoseVolumeMetrics.cumulativeDVH($0, binGy: bin) }
            let maximum = Double(doses.max()!)
            var expected: [(Double, Double)] = []
            var k = 0
            while true {
                let level = Double(k) * bin
                expected.append((level, 100 * Double(doses.filter { Double($0) >= level }.count) / Double(doses.count)))
                if level >= maximum { break }
                k += 1
            }
            #expect(rows.count == expected.count, "bin \(bin)")
            #expect(zip(rows, expected).allSatisfy { $0.doseGy == $1.0 && $0.volumePct == $1.1 }, "bin \(bin)")
        }
        let negative: [Float] = [-3, -1]
        let rows = negative.withUnsafeBufferPointer { DoseVolumeMetrics.cumulativeDVH($0, binGy: 1) }
        #expect(rows.count == 1 && rows[0].doseGy == 0 && rows[0].volumePct == 0)
    }

    /// Uniform dose: EUD equals it for any α. Two voxels 0 and 100 Gy, α = 0.01/Gy:
    /// EUD = −100 · ln((1 + e^(−1)) / 2) = 37.988 Gy. Negative doses count as 0.
    @Test func equivalentUniformDose() {
        let uniform: [Float] = [80, 80, 80]
        #expect(abs(uniform.withUnsafeBufferPointer { DoseVolumeMetrics.equivalentUniformDose($0, alphaPerGy: 0.005) } - 80) < 1e-9)
        let two: [Float] = [0, 100]
        let expected = -100 * log((1 + exp(-1.0)) / 2)
        #expect(abs(two.withUnsafeBufferPointer { DoseVolumeMetrics.equivalentUniformDose($0, alphaPerGy: 0.01) } - expected) < 1e-9)
        let negative: [Float] = [-5, 100]
        #expect(abs(negative.withUnsafeBufferPointer { DoseVolumeMetrics.equivalentUniformDose($0, alphaPerGy: 0.01) } - expected) < 1e-9)
    }

    /// BED for 100 Gy, α/β 10 Gy, T_rep 1.5 h, T½ 64.1 h: λ = ln2/64.1, μ = ln2/1.5,
    /// λ/(μ+λ) = 1.5/65.6 = 0.022866 → BED = 100 · (1 + 100 · 0.022866 / 10) = 122.87 Gy.
    @Test func biologicallyEffectiveDose() {
        let d: [Float] = [100]
        let bed = d.withUnsafeBufferPointer {
            DoseVolumeMetrics.meanBiologicallyEffectiveDose($0, alphaBetaGy: 10, repairHalfTimeH: 1.5, sourceHalfLifeH: 64.1)
        }
        #expect(abs(bed - (100 * (1 + 100 * (1.5 / 65.6) / 10))) < 1e-9)
        #expect(abs(bed - 122.87) < 0.01)
        // The mean of voxel BEDs, not the BED of the mean: [0, 200] → (0 + 200·(1 + 200·g/10)) / 2.
        let pair: [Float] = [0, 200]
        let g = 1.5 / 65.6
        let mean = pair.withUnsafeBufferPointer {
            DoseVolumeMetrics.meanBiologicallyEffectiveDose($0, alphaBetaGy: 10, repairHalfTimeH: 1.5, sourceHalfLifeH: 64.1)
        }
        #expect(abs(mean - 200 * (1 + 200 * g / 10) / 2) < 1e-9)
    }
}

@Suite struct EUDRangeTests {
    /// Large α·D would underflow every exponential; the shifted form keeps EUD finite and exact.
    @Test func noUnderflowAtHighDose() {
        let high: [Float] = [1000, 1000]
        #expect(high.withUnsafeBufferPointer { DoseVolumeMetrics.equivalentUniformDose($0, alphaPerGy: 1) } == 1000)
        let spread: [Float] = [1000, 1100]
        let expected = 1000 - log((1 + exp(-100.0)) / 2) / 1
        #expect(abs(spread.withUnsafeBufferPointer { DoseVolumeMetrics.equivalentUniformDose($0, alphaPerGy: 1) } - expected) < 1e-9)
    }
}
