import Dispatch
import VoxelKernels

/// Voxel statistics of one region (a label, or the whole volume).
///
/// Every figure uses the region's finite voxels only; non-finite voxels (NaN, ±∞) are counted
/// in ``nanVoxels`` and excluded from everything else. Accumulation is in Float64.
public struct RegionStatistics: Sendable, Equatable {
    /// The label, or nil for the whole volume.
    public var label: Int32?
    /// Finite voxels.
    public var voxels: Int
    /// Non-finite voxels in the region.
    public var nanVoxels: Int
    /// `voxels` × voxel volume (mL).
    public var volumeML: Double
    /// Σ v.
    public var sum: Double
    /// Σ v / n; NaN when the region has no finite voxel (and so for every figure below).
    public var mean: Double
    /// Population standard deviation √(Σ (v − mean)² / n) (two-pass).
    public var std: Double
    public var min: Double
    public var max: Double
    /// The 50th percentile (numpy linear).
    public var median: Double
    /// The requested percentiles, in the order requested (numpy's linear interpolation
    /// between order statistics; see ``OrderStatistics/percentiles(_:_:)``).
    public var percentiles: [Double]
}

public enum RegionStatisticsCalculator {
    /// Statistics per region: the whole volume when `labels` is nil, else one region per
    /// distinct non-zero label, ascending.
    ///
    /// - Parameters:
    ///   - values: voxel values.
    ///   - labels: integer labels on the same grid, or nil.
    ///   - voxelVolumeML: the volume of one voxel in mL.
    ///   - percentiles: q values in [0, 100].
    /// - Complexity: one scan of the label image, then passes over the labelled voxels to group
    ///   values by label (any number of labels), then O(n) expected per region for the order
    ///   statistics; regions run in parallel. Results do not depend on the thread count.
    ///   Whole-volume statistics work in the storage of `values` when the caller hands over its
    ///   only reference (`consume`): no second whole-volume buffer.
    public static func compute(values: consuming [Float], labels: [Int32]?, voxelVolumeML: Double,
                               percentiles: [Double]) -> [RegionStatistics] {
        var partition: LabelPartition
        if let labels { partition = LabelPartition(values: values, labels: labels) }
        else { partition = LabelPartition(wholeVolume: values) }
        let labels = partition.labels, nanVoxels = partition.nonFiniteCounts
        return partition.mapRegions { r, region in
            summarize(&region, label: labels[r], nanVoxels: nanVoxels[r], voxelVolumeML: voxelVolumeML, percentiles: percentiles)
        }
    }

    /// Statistics of one region's finite values (reordered in place by the selection).
    static func summarize(_ values: inout UnsafeMutableBufferPointer<Float>, label: Int32?, nanVoxels: Int,
                          voxelVolumeML: Double, percentiles: [Double]) -> RegionStatistics {
        let n = values.count
        let (sum, minimum, maximum) = Reductions.sumMinMax(UnsafeBufferPointer(values))
        let mean = n > 0 ? sum / Double(n) : .nan
        let std = n > 0 ? (Reductions.sumOfSquaredDeviations(UnsafeBufferPointer(values), mean: mean) / Double(n)).squareRoot() : .nan
        let quantiles = OrderStatistics.percentiles(&values, [50] + percentiles)
        return RegionStatistics(label: label, voxels: n, nanVoxels: nanVoxels, volumeML: Double(n) * voxelVolumeML,
                                sum: sum, mean: mean, std: std,
                                min: n > 0 ? Double(minimum) : .nan, max: n > 0 ? Double(maximum) : .nan,
                                median: quantiles[0], percentiles: Array(quantiles.dropFirst()))
    }
}
