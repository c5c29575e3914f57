import Foundation
import PETQuant
import Plausibility
import Reporting
import VOIStatistics
import VoxelKernels

/// A reference region's voxels on the grid of the map it serves, with the file that defined it
/// (a mask, or the label image), named in messages.
public struct ReferenceRegion: Sendable {
    public var voxels: ArraySlice<Int>
    public var source: String
    public init(voxels: ArraySlice<Int>, source: String) {
        self.voxels = voxels
        self.source = source
    }
}

extension LesionTable {
    /// A map with its label image on the map's grid (read, and resampled if need be, by the caller).
    public struct LabelledMap: Sendable {
        public var volume: ScalarVolume
        public var labels: LabelImage
        public var regions: LabelRegions
        /// Codes of the reference labels in `labels`: never lesions.
        public var excluded: Set<Int32>
        /// The map's file, named in messages.
        public var source: String

        public init(volume: ScalarVolume, labels: LabelImage, regions: LabelRegions, excluded: Set<Int32>, source: String) {
            self.volume = volume
            self.labels = labels
            self.regions = regions
            self.excluded = excluded
            self.source = source
        }

        /// The codes of the lesions: every label present but the reference labels.
        public var lesionCodes: [Int32] { regions.labels.filter { !excluded.contains($0) } }
    }

    /// Everything the table is computed from.
    public struct Input: Sendable {
        public var dose: LabelledMap?
        public var suv: LabelledMap?
        /// On the SUV map's grid.
        public var muscle: ReferenceRegion?
        public var bloodPool: ReferenceRegion?
        /// On the dose map's grid.
        public var normalLiver: ReferenceRegion?
        /// Densities on the dose map's grid, g/mL: Dmean becomes mass-weighted.
        public var densities: [Float]?
        public var names: [Int64: String] = [:]
        public var patientID: String?
        /// Compute the cumulative DVHs.
        public var dvh = false
        public var parameters = Parameters()
        public var resampling: JSONValue?
        public init() {}
    }

    /// Most DVH rows one table holds (about 40 bytes each in its CSV): a bin far finer than the
    /// doses would otherwise fill the disk.
    public static let maximumDVHRows = 10_000_000

    /// The lesion table: every non-zero label but the reference labels, in either label image,
    /// matched by label number — its size from the dose map's label image (else the SUV map's),
    /// its dose metrics (``LesionDoseMetrics``: Dmean, Dx, Vx, EUD, BED) on the dose map, its
    /// uptake (``LesionUptake``: SUVmax/mean/peak, T/M, T/BP, hypoxic volume) on the SUV map,
    /// each reference's mean on the map it serves.
    /// - Returns: the table and the plausibility warnings of its lesions (`lesion_large`).
    /// - Throws: ``StageFailure`` for a reference region without a finite voxel, a DVH bin that
    ///   would give more than ``maximumDVHRows`` rows, or an SUVpeak sphere too large for the grid.
    public static func make(_ input: Input) throws -> (table: LesionTable, warnings: [Plausibility.Warning]) {
        let p = input.parameters
        var references = References()
        references.muscleSUVMean = try referenceMean(input.muscle, on: input.suv, name: "muscle")
        references.bloodPoolSUVMean = try referenceMean(input.bloodPool, on: input.suv, name: "blood-pool")
        references.normalLiverDoseMeanGy = try referenceMean(input.normalLiver, on: input.dose, name: "normal-liver")

        // Sizes from the dose map's label image where a lesion is in it, else the SUV map's.
        func sizes(_ side: LabelledMap?) -> [Int64: (voxels: Int, ml: Double)] {
            guard let side else { return [:] }
            let counts = side.regions.counts
            return Dictionary(uniqueKeysWithValues: side.lesionCodes.map {
                (side.labels.label(ofCode: $0), (counts[$0] ?? 0, Double(counts[$0] ?? 0) * side.volume.geometry.voxelVolumeML))
            })
        }
        let doseSizes = sizes(input.dose)
        let geometric = sizes(input.suv).merging(doseSizes) { _, dose in dose }
        let labels = geometric.keys.sorted()
        let warnings = labels.compactMap { Plausibility.lesionLarge(label: $0, volumeML: geometric[$0]!.ml) }

        var doseMetrics: [Int64: (LesionDoseMetrics, Double?)] = [:]
        var dvh: [Int64: [DVHPoint]] = [:], normalLiverDVH: [DVHPoint] = []
        if let side = input.dose {
            var massWeightedMeans: [Int32: Double] = [:]
            if let rho = input.densities {
                massWeightedMeans = LabelPartition.weightedMeans(side.volume.voxels, weights: rho, regions: side.regions)
            }
            var partition = LabelPartition(values: side.volume.voxels, regions: side.regions)
            var settings = p.dose
            settings.dxPercents = p.dx.map(\.value)
            settings.vxLevelsGy = p.vxGy.map(\.value)
            let metrics = LesionDoseMetrics.compute(&partition, excluding: side.excluded, settings: settings)
            for (code, m) in metrics { doseMetrics[side.labels.label(ofCode: code)] = (m, massWeightedMeans[code]) }
            if input.dvh {
                for (code, points) in try lesionDVHs(partition, metrics: metrics, binGy: p.dvhBinGy) {
                    dvh[side.labels.label(ofCode: code)] = points
                }
                if let liver = input.normalLiver {
                    normalLiverDVH = try regionDVH(liver.voxels, in: side.volume.voxels, binGy: p.dvhBinGy)
                }
            }
        }
        var uptake: [Int64: LesionUptake.Metrics] = [:]
        if let side = input.suv {
            try checkSUVpeakSphere(radiusMM: p.uptake.peakRadiusMM, on: side.volume.geometry, image: side.source)
            let found = LesionUptake.metrics(
                suv: side.volume.voxels, geometry: side.volume.geometry, regions: side.regions, excluding: side.excluded,
                references: .init(muscleMean: references.muscleSUVMean, bloodPoolMean: references.bloodPoolSUVMean), settings: p.uptake)
            for m in found { uptake[side.labels.label(ofCode: m.label)] = m }
        }

        var table = LesionTable(patientID: input.patientID, rows: labels.map { label in
            Row(label: label, name: input.names[label], voxels: geometric[label]!.voxels, volumeML: geometric[label]!.ml,
                dose: doseMetrics[label]?.0, massWeightedMeanGy: doseMetrics[label]?.1, uptake: uptake[label])
        })
        table.references = references
        table.parameters = p
        table.parameters.massWeighted = input.densities != nil
        table.resampling = input.resampling
        table.dvh = dvh
        table.normalLiverDVH = normalLiverDVH
        return (table, warnings)
    }

    /// The mean of `map` over a reference region; a region with no finite voxel is an error.
    static func referenceMean(_ region: ReferenceRegion?, on map: LabelledMap?, name: String) throws -> Double? {
        guard let region, let map else { return nil }
        guard let mean = LesionUptake.regionMean(map.volume.voxels, voxels: region.voxels) else {
            throw StageFailure("\(region.source): the \(name) reference region has no finite voxel in the map \(map.source)")
        }
        return mean
    }

    /// The DVH of every lesion of `metrics`, bounded by ``maximumDVHRows``.
    static func lesionDVHs(_ partition: LabelPartition, metrics: [Int32: LesionDoseMetrics], binGy: Double) throws -> [Int32: [DVHPoint]] {
        let rows = metrics.values.reduce(0.0) { $0 + ($1.voxels > 0 ? max($1.maxGy, 0) / binGy + 2 : 0) }
        guard rows <= Double(maximumDVHRows) else {
            throw StageFailure("--dvh-bin \(String(format: "%g", binGy)) Gy would give about \(String(format: "%.3g", rows)) DVH rows for doses up to "
                + "\(metrics.values.map(\.maxGy).max() ?? 0) Gy (at most \(maximumDVHRows)); choose a larger --dvh-bin")
        }
        var result: [Int32: [DVHPoint]] = [:]
        partition.values.withUnsafeBufferPointer { all in
            for (r, label) in partition.labels.enumerated() {
                guard let label, metrics[label] != nil else { continue }
                let region = UnsafeBufferPointer(rebasing: all[partition.regionRange(r)])
                result[label] = DoseVolumeMetrics.cumulativeDVH(region, binGy: binGy).map { DVHPoint(doseGy: $0.doseGy, volumePct: $0.volumePct) }
            }
        }
        return result
    }

    /// The DVH of a reference region (the normal liver): its finite doses, bounded like the lesions'.
    static func regionDVH(_ region: ArraySlice<Int>, in doses: [Float], binGy: Double) throws -> [DVHPoint] {
        let finite = region.map { doses[$0] }.filter(\.isFinite)
        guard let maximum = finite.max() else { return [] }
        guard max(Double(maximum), 0) / binGy + 2 <= Double(maximumDVHRows) else {
            throw StageFailure("--dvh-bin \(String(format: "%g", binGy)) Gy would give more than \(maximumDVHRows) DVH rows for the normal liver "
                + "(doses up to \(maximum) Gy); choose a larger --dvh-bin")
        }
        return finite.withUnsafeBufferPointer { DoseVolumeMetrics.cumulativeDVH($0, binGy: binGy) }
            .map { DVHPoint(doseGy: $0.doseGy, volumePct: $0.volumePct) }
    }

    /// Refuses an SUVpeak sphere larger than ``SphereMeans/maximumVoxels`` on `grid` before any
    /// work (a radius typed in the wrong unit, or voxels of a micrometre).
    public static func checkSUVpeakSphere(radiusMM: Double, on grid: GridGeometry, image: String) throws {
        let voxels = SphereMeans.voxelCount(radiusMM: radiusMM, spacingMM: grid.spacingMM)
        guard voxels <= Double(SphereMeans.maximumVoxels) else {
            let s = grid.spacingMM
            throw StageFailure("\(image): an SUVpeak sphere of radius \(String(format: "%g", radiusMM)) mm on voxels of "
                + "\(String(format: "%g × %g × %g", s.x, s.y, s.z)) mm holds \(voxels.isFinite ? String(format: "%.0f", voxels) : "far more than \(SphereMeans.maximumVoxels)") voxels "
                + "(at most \(SphereMeans.maximumVoxels)); check --suvpeak-radius and the image's voxel size")
        }
    }

    /// A `reference_overlap` warning when a reference mask's voxels carry lesion labels.
    public static func overlapWarning(mask: ArraySlice<Int>, name: String, labels: LabelImage, excluded: Set<Int32>) -> Plausibility.Warning? {
        var shared = 0
        var lesions = Set<Int32>()
        labels.codes.withUnsafeBufferPointer { codes in
            for i in mask {
                let code = codes[i]
                if code != 0 && !excluded.contains(code) {
                    shared += 1
                    lesions.insert(code)
                }
            }
        }
        return Plausibility.referenceOverlap(reference: name, referenceVoxels: mask.count,
                                             lesions: lesions.sorted().map(labels.label(ofCode:)), sharedVoxels: shared)
    }

    /// Lesion names from a TSV of label<TAB>name rows, with an optional header `label<TAB>name`.
    public static func readNames(_ path: String) throws -> [Int64: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw StageFailure("\(path): cannot read the names file")
        }
        var names: [Int64: String] = [:]
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: "\t", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if number == 0 && fields.first?.lowercased() == "label" { continue }
            guard fields.count == 2, let label = Int64(fields[0]) else {
                throw StageFailure("\(path): line \(number + 1) is not label<TAB>name")
            }
            names[label] = fields[1]
        }
        return names
    }
}
