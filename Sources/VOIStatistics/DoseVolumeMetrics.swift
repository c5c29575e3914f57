import Foundation
import VoxelKernels

/// Dose-volume metrics of one region's voxel doses (REFERENCE.md §5). Inputs are the region's
/// finite voxel doses in Gy; every figure treats voxels as equal volumes.
public enum DoseVolumeMetrics {
    /// Dx: the minimum dose received by the hottest x % of the region = the (100 − x)-th
    /// percentile of the voxel doses (numpy's linear interpolation), one per requested x in
    /// [0, 100]. `doses` is reordered (selection). NaN for an empty region.
    public static func dx(_ doses: inout UnsafeMutableBufferPointer<Float>, percents: [Double]) -> [Double] {
        OrderStatistics.percentiles(&doses, percents.map { 100 - $0 })
    }

    /// Vx: the percentage of voxels with dose ≥ x Gy, one per level. NaN for an empty region.
    public static func vx(_ doses: UnsafeBufferPointer<Float>, levelsGy: [Double]) -> [Double] {
        guard !doses.isEmpty else { return levelsGy.map { _ in .nan } }
        return levelsGy.map { level in
            100 * Double(doses.reduce(0) { $0 + (Double($1) >= level ? 1 : 0) }) / Double(doses.count)
        }
    }

    /// The cumulative DVH: rows at 0, b, 2b, … up to the first multiple of b ≥ the maximum dose,
    /// each with the percentage of voxels whose dose is ≥ that level (levels computed as k·b in
    /// Float64 and compared exactly). Empty for an empty region. The caller bounds the row
    /// count, maximum / b + 1, before asking.
    /// - Complexity: O(n + rows): each voxel lands in the bin of the highest level it reaches,
    ///   then one suffix sum.
    public static func cumulativeDVH(_ doses: UnsafeBufferPointer<Float>, binGy b: Double) -> [(doseGy: Double, volumePct: Double)] {
        guard !doses.isEmpty, b > 0 else { return [] }
        let maximum = Double(doses.max()!)
        // The last level: the smallest k ≥ 0 with k·b ≥ maximum.
        var top = maximum > 0 ? Int((maximum / b).rounded(.up)) : 0
        while top > 0 && Double(top - 1) * b >= maximum { top -= 1 }
        while Double(top) * b < maximum { top += 1 }
        // reached[k]: voxels whose highest level reached is k (k·b ≤ D < (k+1)·b).
        var reached = [Int](repeating: 0, count: top + 1)
        for dose in doses {
            let d = Double(dose)
            guard d >= 0 else { continue }
            var k = Int(min(d / b, Double(top)).rounded(.down))
            while k < top && Double(k + 1) * b <= d { k += 1 }
            while k > 0 && Double(k) * b > d { k -= 1 }
            reached[k] += 1
        }
        var rows = [(doseGy: Double, volumePct: Double)](repeating: (0, 0), count: top + 1)
        var atLeast = 0
        for k in stride(from: top, through: 0, by: -1) {
            atLeast += reached[k]
            rows[k] = (Double(k) * b, 100 * Double(atLeast) / Double(doses.count))
        }
        return rows
    }

    /// Equivalent uniform dose (O'Donoghue, Med Phys 1999): EUD = −(1/α) · ln((1/n) Σ e^(−α·Dᵢ)),
    /// negative voxel doses counted as 0 Gy. α in 1/Gy (> 0). NaN for an empty region.
    public static func equivalentUniformDose(_ doses: UnsafeBufferPointer<Float>, alphaPerGy alpha: Double) -> Double {
        guard !doses.isEmpty, alpha > 0 else { return .nan }
        // Shifted by the smallest dose so the exponentials cannot all underflow to 0:
        // EUD = D_min − (1/α) · ln((1/n) Σ e^(−α (Dᵢ − D_min))).
        let minimum = doses.reduce(Double.infinity) { Swift.min($0, Swift.max(Double($1), 0)) }
        let sum = doses.reduce(0.0) { $0 + exp(-alpha * (Swift.max(Double($1), 0) - minimum)) }
        return minimum - log(sum / Double(doses.count)) / alpha
    }

    /// Mean biologically effective dose for a permanent, exponentially decaying source (Dale's
    /// formula): per voxel BED = D · (1 + D·λ / ((μ + λ) · α/β)), λ = ln 2 / T½(source),
    /// μ = ln 2 / T_repair; negative doses counted as 0 Gy. REFERENCE.md §5 defaults: tumour α/β
    /// 10 Gy, T_repair 1.5 h; normal liver 2.5 Gy, 2.5 h. NaN for an empty region.
    public static func meanBiologicallyEffectiveDose(_ doses: UnsafeBufferPointer<Float>, alphaBetaGy: Double,
                                                    repairHalfTimeH: Double, sourceHalfLifeH: Double) -> Double {
        guard !doses.isEmpty else { return .nan }
        let lambda = M_LN2 / sourceHalfLifeH, mu = M_LN2 / repairHalfTimeH
        let g = lambda / ((mu + lambda) * alphaBetaGy)
        let sum = doses.reduce(0.0) { total, value in
            let d = max(Double(value), 0)
            return total + d * (1 + d * g)
        }
        return sum / Double(doses.count)
    }
}
