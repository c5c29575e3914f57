import Dispatch
import VoxelKernels

/// The dose block of the lesion table (`voxdose lesions`; Docs/LESIONS.md gives each key with
/// its formula, unit and source).
public struct LesionDoseMetrics: Sendable {
    /// Lesion voxels whose dose is not finite; every figure below uses the finite ones.
    public var nanVoxels: Int
    /// Finite dose voxels.
    public var voxels: Int
    /// Σ D / n (Gy), the voxel mean.
    public var meanGy: Double
    /// Population standard deviation (Gy).
    public var stdGy: Double
    public var minGy: Double
    public var maxGy: Double
    /// The 50th percentile (numpy linear), Gy.
    public var medianGy: Double
    /// Dx for each requested x (Gy), in the order requested (``DoseVolumeMetrics/dx(_:percents:)``).
    public var dGy: [Double]
    /// Vx for each requested level (%), in the order requested.
    public var vPct: [Double]
    /// EUD (Gy) when an α is given.
    public var eudGy: Double?
    /// Mean voxel BED (Gy).
    public var bedGy: Double

    /// What to compute, with the radiobiological parameters (REFERENCE.md §5).
    public struct Settings: Sendable {
        public var dxPercents: [Double] = [2, 50, 70, 90, 98]
        public var vxLevelsGy: [Double] = [50, 89, 100, 120, 205]
        public var eudAlphaPerGy: Double?
        public var bedAlphaBetaGy = 10.0
        public var bedRepairHalfTimeH = 1.5
        public var sourceHalfLifeH = 64.1
        public init() {}
    }

    /// Metrics of every region of `partition` whose label is not in `excluded`, regions in
    /// parallel. Each region's values are reordered in place (selection).
    /// - Complexity: O(n) expected per region of n voxels (selection, no sort).
    public static func compute(_ partition: inout LabelPartition, excluding excluded: Set<Int32> = [],
                               settings: Settings) -> [Int32: LesionDoseMetrics] {
        let lesions = partition.labels.indices.filter { partition.labels[$0].map { !excluded.contains($0) } ?? false }
        let nanVoxels = partition.nonFiniteCounts
        let results = partition.mapRegions(lesions) { r, values in metrics(&values, nanVoxels: nanVoxels[r], settings: settings) }
        var byLabel: [Int32: LesionDoseMetrics] = [:]
        for (k, r) in lesions.enumerated() { byLabel[partition.labels[r]!] = results[k] }
        return byLabel
    }

    /// Metrics of one region's finite voxel doses (reordered by the selection).
    public static func metrics(_ values: inout UnsafeMutableBufferPointer<Float>, nanVoxels: Int,
                               settings: Settings) -> LesionDoseMetrics {
        let doses = UnsafeBufferPointer(values)
        let n = doses.count
        let (sum, minimum, maximum) = Reductions.sumMinMax(doses)
        let mean = n > 0 ? sum / Double(n) : .nan
        let std = n > 0 ? (Reductions.sumOfSquaredDeviations(doses, mean: mean) / Double(n)).squareRoot() : .nan
        let vPct = DoseVolumeMetrics.vx(doses, levelsGy: settings.vxLevelsGy)
        let eud = settings.eudAlphaPerGy.map { DoseVolumeMetrics.equivalentUniformDose(doses, alphaPerGy: $0) }
        let bed = DoseVolumeMetrics.meanBiologicallyEffectiveDose(doses, alphaBetaGy: settings.bedAlphaBetaGy,
                                                                 repairHalfTimeH: settings.bedRepairHalfTimeH,
                                                                 sourceHalfLifeH: settings.sourceHalfLifeH)
        let quantiles = DoseVolumeMetrics.dx(&values, percents: [50] + settings.dxPercents)
        return LesionDoseMetrics(nanVoxels: nanVoxels, voxels: n, meanGy: mean, stdGy: std,
                                 minGy: n > 0 ? Double(minimum) : .nan, maxGy: n > 0 ? Double(maximum) : .nan,
                                 medianGy: quantiles[0], dGy: Array(quantiles.dropFirst()), vPct: vPct,
                                 eudGy: eud, bedGy: bed)
    }
}
