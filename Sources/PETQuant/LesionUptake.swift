import VoxelKernels

/// Per-lesion uptake and hypoxia metrics from an SUV map (REFERENCE.md §2.1–2.2; ARTE-MISO).
public enum LesionUptake {
    /// Which lesion statistic is divided by the reference means (T/BP, T/M).
    public enum Statistic: String, Sendable, CaseIterable { case max, mean, peak }

    public struct Settings: Sendable {
        /// Hypoxic when T/BP > this (strict; ARTE-MISO ROC cut-off 1.29).
        public var hypoxiaCutoff = 1.29
        /// A voxel is hypoxic when SUV > this × blood-pool SUVmean (strict; Muzi et al. 2015: 1.2).
        public var hypoxicVolumeCutoff = 1.2
        /// The lesion statistic of T/BP and T/M (default SUVmax over the blood-pool SUVmean).
        public var statistic: Statistic = .max
        /// SUVpeak sphere radius: 6.204 mm is a 1 mL sphere (PERCIST).
        public var peakRadiusMM = 6.204
        public init() {}
    }

    /// Reference-region means (SUV), when given.
    public struct References: Sendable, Equatable {
        public var muscleMean: Double?
        public var bloodPoolMean: Double?
        public init(muscleMean: Double?, bloodPoolMean: Double?) {
            self.muscleMean = muscleMean
            self.bloodPoolMean = bloodPoolMean
        }
    }

    public struct Metrics: Sendable, Equatable {
        public var label: Int32
        /// Labelled voxels (the lesion's geometric size).
        public var voxels: Int
        /// Labelled voxels whose SUV is not finite.
        public var nanVoxels: Int
        public var max: Double, mean: Double, peak: Double, std: Double
        /// Lesion statistic / muscle SUVmean (nil without a muscle reference).
        public var tM: Double?
        /// Lesion statistic / blood-pool SUVmean (nil without a blood-pool reference).
        public var tBP: Double?
        /// tBP > hypoxia cut-off; nil without a blood-pool reference or finite voxels.
        public var hypoxic: Bool?
        /// Voxels with SUV > hypoxic-volume cut-off × blood-pool mean, in mL.
        public var hypoxicVolumeML: Double?
        /// That count over the lesion's finite voxels (0–1).
        public var hypoxicFraction: Double?
    }

    /// SUVmean of the finite voxels of a region (a reference label's or a mask's voxels, from
    /// ``LabelRegions``); nil when none is finite.
    public static func regionMean(_ suv: [Float], voxels: ArraySlice<Int>) -> Double? {
        Reductions.meanAndSD(suv, at: voxels)?.mean
    }

    /// SUVmean of the finite voxels where `mask` is non-zero; nil when there is none.
    public static func regionMean(_ suv: [Float], mask: [Int32]) -> Double? {
        regionMean(suv, voxels: LabelRegions(mask).allVoxels)
    }

    /// Metrics for every region of `regions` (the lesion label image's) except `excluded`
    /// (reference labels).
    ///
    /// SUVmax, SUVmean and SD (population) over the lesion's finite voxels; SUVpeak = the
    /// highest mean over a sphere of `peakRadiusMM` centred on each finite lesion voxel, the
    /// sphere's finite voxels counted inside or outside the lesion (``SphereMeans``).
    public static func metrics(suv: [Float], geometry: GridGeometry, regions: LabelRegions, excluding excluded: Set<Int32>,
                               references: References, settings: Settings) -> [Metrics] {
        var results: [Metrics] = []
        for (r, label) in regions.labels.enumerated() where !excluded.contains(label) {
            let members = regions.voxels(ofRegion: r)
            let finite = members.filter { suv[$0].isFinite }
            let values = finite.map { suv[$0] }
            let (sum, _, maximum) = values.withUnsafeBufferPointer { Reductions.sumMinMax($0) }
            let n = values.count
            let mean = n > 0 ? sum / Double(n) : .nan
            let std = n > 0 ? (values.withUnsafeBufferPointer { Reductions.sumOfSquaredDeviations($0, mean: mean) } / Double(n)).squareRoot() : .nan
            let peak = n > 0 ? SphereMeans.means(suv, dimensions: geometry.dimensions, spacingMM: geometry.spacingMM,
                                                 radiusMM: settings.peakRadiusMM, centres: Array(finite)).max() ?? .nan : .nan
            let max = n > 0 ? Double(maximum) : .nan
            let statistic: Double
            switch settings.statistic {
            case .max: statistic = max
            case .mean: statistic = mean
            case .peak: statistic = peak
            }
            var m = Metrics(label: label, voxels: members.count, nanVoxels: members.count - n, max: max, mean: mean,
                            peak: peak, std: std, tM: nil, tBP: nil, hypoxic: nil, hypoxicVolumeML: nil, hypoxicFraction: nil)
            if let muscle = references.muscleMean { m.tM = statistic / muscle }
            if let blood = references.bloodPoolMean {
                m.tBP = statistic / blood
                if n > 0 {
                    m.hypoxic = m.tBP! > settings.hypoxiaCutoff
                    let threshold = settings.hypoxicVolumeCutoff * blood
                    let count = values.reduce(0) { $0 + (Double($1) > threshold ? 1 : 0) }
                    m.hypoxicVolumeML = Double(count) * geometry.voxelVolumeML
                    m.hypoxicFraction = Double(count) / Double(n)
                }
            }
            results.append(m)
        }
        return results
    }
}
