import ArgumentParser
import Dosimetry
import Foundation
import Plausibility
import PatientCase
import PETQuant
import Reporting
import VOIStatistics
import VoxelIO
import VoxelKernels

extension LesionUptake.Statistic: ExpressibleByArgument {}

/// `voxdose lesions --labels LABELS [--dose DOSE] [--suv SUV]`: the per-lesion table
/// (`voxdose.lesions/1`, CONTRACT.md).
struct Lesions: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Per-lesion dose and uptake table (voxdose.lesions/1), CSV and DVH.")

    @Option(help: "Label image: one lesion per non-zero label (reference labels excluded).", completion: .file()) var labels: String
    @Option(help: "Dose map, Gy.", completion: .file()) var dose: String?
    @Option(help: "SUV map.", completion: .file()) var suv: String?
    @Option(help: "The SUV map's own label image (its scan's grid), when the maps are on different grids; lesions are matched by label number.",
            completion: .file()) var suvLabels: String?
    @Option(help: "Label of the muscle reference region (in --suv-labels when given, else --labels).") var muscleLabel: Int64?
    @Option(help: "Label of the blood-pool reference region (in --suv-labels when given, else --labels).") var bloodPoolLabel: Int64?
    @Option(help: "Label of the normal-liver reference region in --labels.") var normalLiverLabel: Int64?
    @Option(help: ArgumentHelp("Labels that are not lesions (reference regions this run does not use, e.g. 7,9).", valueName: "list"))
    var notLesionLabels = LabelList()
    @Option(help: "Muscle reference mask (non-zero voxels).", completion: .file()) var muscleMask: String?
    @Option(help: "Blood-pool reference mask (non-zero voxels).", completion: .file()) var bloodPoolMask: String?
    @Option(help: "Normal-liver reference mask (non-zero voxels).", completion: .file()) var normalLiverMask: String?
    @Option(help: "TSV of label<TAB>name (an optional header row label<TAB>name).", completion: .file()) var names: String?
    @Option(help: "Patient id written on every lesion row (1–64 of A-Z a-z 0-9 . _ -, not starting with .).") var patientId: String?
    @Option(help: "Density map on the dose grid, g/mL: mean_gy becomes the mass-weighted mean.", completion: .file()) var densityMap: String?
    @Option(help: ArgumentHelp("Dx percentages (dose to the hottest x %), in [0, 100].", valueName: "list")) var dx = PercentileList(argument: "2,50,70,90,98")!
    @Option(help: ArgumentHelp("Vx dose levels, Gy.", valueName: "list")) var vx = KeyedNumbers(argument: "50,89,100,120,205")!
    @Option(help: "Hypoxic when T/BP is above this.") var hypoxiaCutoff = 1.29
    @Option(help: "Hypoxic voxels: SUV above this × blood-pool SUVmean.") var hypoxicVolumeCutoff = 1.2
    @Option(help: "Lesion statistic of T/BP and T/M.") var hypoxiaStatistic: LesionUptake.Statistic = .max
    @Option(help: "EUD radiosensitivity α, 1/Gy (EUD is reported when given; Docs/LESIONS.md).") var eudAlpha: Double?
    @Option(help: "BED α/β, Gy.") var bedAlphaBeta: QuantityArgument<DoseGray> = QuantityArgument(argument: "10")!
    @Option(help: "BED repair half-time (bare number: hours).") var bedRepairHalfTime = QuantityArgument<DurationHours>(argument: "1.5")!
    @Option(help: "90Y half-life for BED (bare number: hours).") var halfLife = QuantityArgument<DurationHours>(argument: "64.05")!
    @Option(help: "SUVpeak sphere radius (bare number: mm).") var suvpeakRadius = QuantityArgument<LengthMM>(argument: "6.204")!
    @Option(help: "Activity in the dose map's field of view, with its unit: 1.8GBq, 1800MBq, 48mCi.") var activity: QuantityArgument<ActivityGBq>?
    @Option(help: "DVH bin width (bare number: Gy).") var dvhBin: QuantityArgument<DoseGray> = QuantityArgument(argument: "1")!
    @Option(help: "Write the cumulative DVH CSV here.", completion: .file()) var dvh: String?
    @Option(help: "Write the table as CSV here.", completion: .file()) var csv: String?
    @Option(help: "Write the JSON here instead of stdout.", completion: .file()) var out: String?
    @Flag(help: "Map the label image and masks from other grids to the map grid (nearest neighbour).") var resampleLabels = false
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if dose == nil && suv == nil { throw ValidationError("give --dose, --suv or both") }
        if let patientId, !Study.isValidPatientID(patientId) {
            throw ValidationError("--patient-id \(patientId): 1–64 characters of A-Z a-z 0-9 . _ -, not starting with a dot")
        }
        if suvLabels != nil && (dose == nil || suv == nil) {
            throw ValidationError("--suv-labels is the SUV map's own label image beside --labels on the dose map's grid: give --dose and --suv")
        }
        if densityMap != nil && dose == nil { throw ValidationError("--density-map weights the dose map: give --dose") }
        if suv == nil && (muscleLabel != nil || bloodPoolLabel != nil || muscleMask != nil || bloodPoolMask != nil) {
            throw ValidationError("muscle and blood-pool references serve the SUV map: give --suv")
        }
        if dose == nil && (normalLiverLabel != nil || normalLiverMask != nil) {
            throw ValidationError("the normal-liver reference serves the dose map: give --dose")
        }
        for (label, mask, name) in [(muscleLabel, muscleMask, "muscle"), (bloodPoolLabel, bloodPoolMask, "blood-pool"),
                                    (normalLiverLabel, normalLiverMask, "normal-liver")] where label != nil && mask != nil {
            throw ValidationError("give --\(name)-label or --\(name)-mask, not both")
        }
        if !(dvhBin.base > 0) { throw ValidationError("--dvh-bin must be positive") }
        if let alpha = eudAlpha, !(alpha > 0 && alpha.isFinite) { throw ValidationError("--eud-alpha must be a positive finite number") }
        if !(suvpeakRadius.base > 0) { throw ValidationError("--suvpeak-radius must be positive") }
        for (name, value) in [("--hypoxia-cutoff", hypoxiaCutoff), ("--hypoxic-volume-cutoff", hypoxicVolumeCutoff),
                              ("--bed-alpha-beta", bedAlphaBeta.base), ("--bed-repair-half-time", bedRepairHalfTime.base),
                              ("--half-life", halfLife.base)] where !(value > 0 && value.isFinite) {
            throw ValidationError("\(name) must be a positive finite number")
        }
    }

    /// One map with its label image and the reference regions it serves, on its own grid.
    private struct MapSide {
        var path: String
        var volume: ScalarVolume
        var labelsPath: String
        var labels: LabelImage
        var regions: LabelRegions
        /// Reference label numbers' codes in this label image: never lesions.
        var excluded: Set<Int32>
        var resampling = JSONObject()
        var grid: GridGeometry { volume.geometry }

        /// Lesions on this side: label → its codes' region.
        var lesionCodes: [Int32] { regions.labels.filter { !excluded.contains($0) } }

        init(path: String, volume: ScalarVolume, labelsPath: String, referenceLabels: [Int64], resample: Bool) throws {
            self.path = path
            self.volume = volume
            self.labelsPath = labelsPath
            let file = try Inputs.labels(labelsPath, onto: volume.geometry, gridOf: path, resample: resample)
            labels = file.image
            regions = LabelRegions(file.image.codes)
            excluded = Set(referenceLabels.compactMap(file.image.code(ofLabel:)))
            if file.resampled { for (key, value) in file.labelResampling(after: regions) { resampling[key] = value } }
        }

        /// The same labels under another map on the same grid.
        func serving(_ path: String, _ volume: ScalarVolume) -> MapSide {
            var copy = self
            copy.path = path
            copy.volume = volume
            copy.resampling = [:]
            return copy
        }

        /// A reference region: label K of this side's label image, or a mask resampled onto its grid.
        mutating func region(label: Int64?, mask: String?, key: String, name: String, resample: Bool) throws -> ArraySlice<Int>? {
            if let label { return labels.voxels(ofLabel: label, in: regions) }
            guard let mask else { return nil }
            let m = try Inputs.labels(mask, onto: grid, gridOf: path, resample: resample, asMask: true)
            let maskRegions = LabelRegions(m.image.codes)
            if m.resampled { resampling[key] = m.maskResampling(after: maskRegions) }
            Lesions.warnOfOverlap(maskRegions.allVoxels, name: name, labels: labels, excluded: excluded)
            return maskRegions.allVoxels
        }

        /// The mean of the map over a reference region; a region with no finite voxel is an error.
        func referenceMean(_ region: ArraySlice<Int>?, name: String, source: String) throws -> Double? {
            guard let region else { return nil }
            guard let mean = LesionUptake.regionMean(volume.voxels, voxels: region) else {
                throw CommandFailure("\(source): the \(name) reference region has no finite voxel in the map \(path)")
            }
            return mean
        }
    }

    func run() throws {
        try runReportingFailures(common) {
            let outputs = try OutputFiles([out, csv, dvh], inputs: [labels, suvLabels, dose, suv, muscleMask, bloodPoolMask,
                                                                    normalLiverMask, names, densityMap])

            // Maps; without --suv-labels both on one grid, sharing --labels.
            let doseVolume = try dose.map { try Inputs.read($0, frame: nil, workingSet: 4.5, expecting: .dose).volume }
            let suvVolume = try suv.map { try Inputs.read($0, frame: nil, workingSet: 3.5, expecting: .uptake).volume }
            if suvLabels == nil, let d = doseVolume, let s = suvVolume, !d.geometry.isSameGrid(as: s.geometry) {
                throw CommandFailure("\(suv!): SUV map grid differs from the dose map grid of \(dose!) "
                    + "(SUV \(Inputs.describe(s.geometry)); dose \(Inputs.describe(d.geometry))); "
                    + "give the SUV map's own label image with --suv-labels, or register the maps")
            }
            let referenceLabels = [muscleLabel, bloodPoolLabel, normalLiverLabel].compactMap { $0 } + notLesionLabels.labels
            var doseSide = try doseVolume.map {
                try MapSide(path: dose!, volume: $0, labelsPath: labels, referenceLabels: referenceLabels, resample: resampleLabels)
            }
            var suvSide: MapSide?
            if let suvVolume {
                if suvLabels == nil, let doseSide { suvSide = doseSide.serving(suv!, suvVolume) }
                else if let doseSide, let suvLabels, OutputSafety.sameFile(suvLabels, labels), doseSide.grid.isSameGrid(as: suvVolume.geometry) {
                    // One label image for two maps on one grid (a case whose scans share it): read once.
                    suvSide = doseSide.serving(suv!, suvVolume)
                    suvSide?.resampling = doseSide.resampling
                } else {
                    suvSide = try MapSide(path: suv!, volume: suvVolume, labelsPath: suvLabels ?? labels,
                                          referenceLabels: referenceLabels, resample: resampleLabels)
                }
            }

            // References, each on the map it serves.
            let muscle = try suvSide?.region(label: muscleLabel, mask: muscleMask, key: "muscle_mask", name: "muscle", resample: resampleLabels)
            let bloodPool = try suvSide?.region(label: bloodPoolLabel, mask: bloodPoolMask, key: "blood_pool_mask", name: "blood-pool",
                                                resample: resampleLabels)
            let normalLiver = try doseSide?.region(label: normalLiverLabel, mask: normalLiverMask, key: "normal_liver_mask",
                                                   name: "normal-liver", resample: resampleLabels)
            var references = JSONObject()
            let muscleMean = try suvSide?.referenceMean(muscle, name: "muscle", source: muscleMask ?? suvSide!.labelsPath)
            let bloodMean = try suvSide?.referenceMean(bloodPool, name: "blood-pool", source: bloodPoolMask ?? suvSide!.labelsPath)
            let liverMean = try doseSide?.referenceMean(normalLiver, name: "normal-liver", source: normalLiverMask ?? labels)
            if let muscleMean { references["muscle_suv_mean"] = .number(muscleMean) }
            if let bloodMean { references["blood_pool_suv_mean"] = .number(bloodMean) }
            if let liverMean { references["normal_liver_dose_mean_gy"] = .number(liverMean) }

            // Lesions: every non-zero label but the reference labels, in either label image,
            // matched by label number; the geometric size from the dose side's labels.
            let lesionNames = try names.map { try Self.readNames($0) } ?? [:]
            func sizes(_ side: MapSide?) -> [Int64: (voxels: Int, ml: Double)] {
                guard let side else { return [:] }
                let counts = side.regions.counts
                return Dictionary(uniqueKeysWithValues: side.lesionCodes.map {
                    (side.labels.label(ofCode: $0), (counts[$0] ?? 0, Double(counts[$0] ?? 0) * side.grid.voxelVolumeML))
                })
            }
            let doseSizes = sizes(doseSide)
            let geometric = sizes(suvSide).merging(doseSizes) { _, dose in dose }
            let doseLesions = Set(doseSizes.keys)
            let lesionLabels = geometric.keys.sorted()
            for label in lesionLabels { RunWarnings.add(Plausibility.lesionLarge(label: label, volumeML: geometric[label]!.ml)) }

            var doseBlocks: [Int64: JSONObject] = [:]
            var dvhRows: [(Int64, Double, Double)] = []
            var normalLiverDVH: [(doseGy: Double, volumePct: Double)] = []
            if let doseSide {
                // Mass-weighted means, Σ ρ·D / Σ ρ over the finite-dose voxels, when densities are given.
                var massWeightedMeans: [Int32: Double] = [:]
                if let densityMap {
                    let rho = try Inputs.densityMap(densityMap, onto: doseSide.grid, gridOf: doseSide.path)
                    massWeightedMeans = LabelPartition.weightedMeans(doseSide.volume.voxels, weights: rho, regions: doseSide.regions)
                }
                var partition = LabelPartition(values: doseSide.volume.voxels, regions: doseSide.regions)
                var settings = LesionDoseMetrics.Settings()
                settings.dxPercents = dx.entries.map(\.value)
                settings.vxLevelsGy = vx.entries.map(\.value)
                settings.eudAlphaPerGy = eudAlpha
                settings.bedAlphaBetaGy = bedAlphaBeta.base
                settings.bedRepairHalfTimeH = bedRepairHalfTime.base / 3600
                settings.sourceHalfLifeH = halfLife.base / 3600
                let metrics = LesionDoseMetrics.compute(&partition, excluding: doseSide.excluded, settings: settings)
                for (code, m) in metrics {
                    doseBlocks[doseSide.labels.label(ofCode: code)] = doseBlock(m, massWeightedMean: massWeightedMeans[code])
                }
                if dvh != nil {
                    dvhRows = try Self.dvhRows(partition, metrics: metrics, binGy: dvhBin.base).map { (doseSide.labels.label(ofCode: $0.0), $0.1, $0.2) }
                    if let normalLiver { normalLiverDVH = try Self.dvhRows(of: normalLiver, in: doseSide.volume.voxels, binGy: dvhBin.base) }
                }
            }
            var uptake: [Int64: LesionUptake.Metrics] = [:]
            if let suvSide {
                try Inputs.checkSphere(radiusMM: suvpeakRadius.base * 1000, on: suvSide.grid, image: suvSide.path)
                var settings = LesionUptake.Settings()
                settings.hypoxiaCutoff = hypoxiaCutoff
                settings.hypoxicVolumeCutoff = hypoxicVolumeCutoff
                settings.statistic = hypoxiaStatistic
                settings.peakRadiusMM = suvpeakRadius.base * 1000
                for m in LesionUptake.metrics(suv: suvSide.volume.voxels, geometry: suvSide.grid, regions: suvSide.regions,
                                              excluding: suvSide.excluded,
                                              references: .init(muscleMean: muscleMean, bloodPoolMean: bloodMean), settings: settings) {
                    uptake[suvSide.labels.label(ofCode: m.label)] = m
                }
            }

            let rows: [JSONObject] = lesionLabels.map { label in
                let size = geometric[label]!
                var row: JSONObject = patientId.map { ["patient_id": .string($0)] } ?? [:]
                row["label"] = .int(Int(label))
                row["name"] = .string(lesionNames[label])
                row["voxels"] = .int(size.voxels)
                row["volume_ml"] = .number(size.ml)
                if doseLesions.contains(label) { row["dose"] = .object(doseBlocks[label] ?? [:]) }
                if let m = uptake[label] {
                    let empty = m.voxels == m.nanVoxels
                    row["suv"] = .object(["nan_voxels": .int(m.nanVoxels), "max": .number(empty ? nil : m.max),
                                          "mean": .number(empty ? nil : m.mean), "peak": .number(empty ? nil : m.peak),
                                          "std": .number(empty ? nil : m.std)])
                    if muscleMean != nil { row["t_m"] = .number(empty ? nil : m.tM) }
                    if bloodMean != nil {
                        row["t_bp"] = .number(empty ? nil : m.tBP)
                        row["hypoxic"] = m.hypoxic.map(JSONValue.bool) ?? .null
                        row["hypoxic_volume_ml"] = .number(m.hypoxicVolumeML)
                        row["hypoxic_fraction"] = .number(m.hypoxicFraction)
                    }
                }
                return row
            }

            let parameters: JSONObject = [
                "dx": .array(dx.entries.map { .number($0.value) }),
                "vx_gy": .array(vx.entries.map { .number($0.value) }),
                "dvh_bin_gy": .number(dvhBin.base),
                "hypoxia_cutoff": .number(hypoxiaCutoff),
                "hypoxic_volume_cutoff": .number(hypoxicVolumeCutoff),
                "hypoxia_statistic": .string(hypoxiaStatistic.rawValue),
                "eud_alpha_per_gy": .number(eudAlpha),
                "bed_alpha_beta_gy": .number(bedAlphaBeta.base),
                "bed_repair_half_time_h": .number(bedRepairHalfTime.base / 3600),
                "half_life_h": .number(halfLife.base / 3600),
                "suvpeak_radius_mm": .number(suvpeakRadius.base * 1000),
                "activity_gbq": .number(activity.map { $0.base / 1e9 }),
                "dose_mean_weighting": .string(densityMap == nil ? "voxel" : "mass"),
            ]
            var body: JSONObject = ["lesions": .array(rows.map { .object($0) }), "references": .object(references),
                                    "parameters": .object(parameters)]
            if resampleLabels {
                func entry(_ o: JSONObject?) -> JSONValue { (o?.entries.isEmpty ?? true) ? .null : .object(o!) }
                if suvLabels != nil {
                    body["resampling"] = .object(["dose": entry(doseSide?.resampling), "suv": entry(suvSide?.resampling)])
                } else {
                    var merged = (doseSide ?? suvSide)!.resampling
                    if doseSide != nil, let extra = suvSide?.resampling { for (key, value) in extra.entries { merged[key] = value } }
                    body["resampling"] = entry(merged)
                }
            }
            body["warnings"] = try RunWarnings.report()

            if let csv { try outputs.stage(text: CSV.table(rows), to: csv) }
            if let dvh {
                var text = "label,dose_gy,volume_pct\n"
                for (label, level, pct) in dvhRows.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
                    text += "\(label),\(JSONValue.number(level).serialized()),\(JSONValue.number(pct).serialized())\n"
                }
                // The normal liver's curve, when its region is known, after the lesions.
                for row in normalLiverDVH {
                    text += "normal_liver,\(JSONValue.number(row.doseGy).serialized()),\(JSONValue.number(row.volumePct).serialized())\n"
                }
                try outputs.stage(text: text, to: dvh)
            }
            try outputs.finish(with: JSONObject.document(schema: "voxdose.lesions/1", body).serialized(), to: out)
        }
    }

    /// The `dose` block of one lesion.
    private func doseBlock(_ m: LesionDoseMetrics, massWeightedMean: Double?) -> JSONObject {
        var d = JSONObject(), v = JSONObject()
        for (entry, value) in zip(dx.entries, m.dGy) { d[entry.key] = .number(value) }
        for (entry, value) in zip(vx.entries, m.vPct) { v[entry.key] = .number(value) }
        let empty = m.voxels == 0
        return ["nan_voxels": .int(m.nanVoxels), "mean_gy": .number(massWeightedMean ?? m.meanGy), "std_gy": .number(m.stdGy),
                "min_gy": empty ? .null : .float(Float(m.minGy)), "max_gy": empty ? .null : .float(Float(m.maxGy)),
                "median_gy": .number(m.medianGy), "d": .object(d), "v_pct": .object(v),
                "eud_gy": .number(m.eudGy ?? nil), "bed_gy": .number(m.bedGy)]
    }

    /// A `reference_overlap` warning when a reference mask's voxels carry lesion labels.
    static func warnOfOverlap(_ mask: ArraySlice<Int>, name: String, labels: LabelImage, excluded: Set<Int32>) {
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
        RunWarnings.add(Plausibility.referenceOverlap(reference: name, referenceVoxels: mask.count,
                                                      lesions: lesions.sorted().map(labels.label(ofCode:)), sharedVoxels: shared))
    }

    /// Most DVH rows one run writes (about 40 bytes each): a bin far finer than the doses
    /// would otherwise fill the disk.
    static let maximumDVHRows = 10_000_000

    /// DVH rows (label, dose level, % of finite voxels at or above it) of every lesion.
    static func dvhRows(_ partition: LabelPartition, metrics: [Int32: LesionDoseMetrics],
                        binGy: Double) throws -> [(Int32, Double, Double)] {
        let rows = metrics.values.reduce(0.0) { $0 + ($1.voxels > 0 ? max($1.maxGy, 0) / binGy + 2 : 0) }
        guard rows <= Double(maximumDVHRows) else {
            throw CommandFailure("--dvh-bin \(String(format: "%g", binGy)) Gy would give about \(String(format: "%.3g", rows)) DVH rows for doses up to "
                + "\(metrics.values.map(\.maxGy).max() ?? 0) Gy (at most \(maximumDVHRows)); choose a larger --dvh-bin")
        }
        var result: [(Int32, Double, Double)] = []
        partition.values.withUnsafeBufferPointer { all in
            for (r, label) in partition.labels.enumerated() {
                guard let label, metrics[label] != nil else { continue }
                let region = UnsafeBufferPointer(rebasing: all[partition.regionRange(r)])
                for row in DoseVolumeMetrics.cumulativeDVH(region, binGy: binGy) { result.append((label, row.doseGy, row.volumePct)) }
            }
        }
        return result
    }

    /// The DVH rows of a reference region (the normal liver): its finite doses, bounded like the lesions'.
    static func dvhRows(of region: ArraySlice<Int>, in doses: [Float], binGy: Double) throws -> [(doseGy: Double, volumePct: Double)] {
        let finite = region.map { doses[$0] }.filter(\.isFinite)
        guard let maximum = finite.max() else { return [] }
        guard max(Double(maximum), 0) / binGy + 2 <= Double(maximumDVHRows) else {
            throw CommandFailure("--dvh-bin \(String(format: "%g", binGy)) Gy would give more than \(maximumDVHRows) DVH rows for the normal liver "
                + "(doses up to \(maximum) Gy); choose a larger --dvh-bin")
        }
        return finite.withUnsafeBufferPointer { DoseVolumeMetrics.cumulativeDVH($0, binGy: binGy) }
    }

    /// label<TAB>name rows; an optional header `label<TAB>name`.
    static func readNames(_ path: String) throws -> [Int64: String] {
        guard let text = try? String(contentsOfFile: path, encoding: .utf8) else {
            throw CommandFailure("\(path): cannot read the names file")
        }
        var names: [Int64: String] = [:]
        for (number, line) in text.split(whereSeparator: \.isNewline).enumerated() {
            let fields = line.split(separator: "\t", maxSplits: 1).map { $0.trimmingCharacters(in: .whitespaces) }
            if number == 0 && fields.first?.lowercased() == "label" { continue }
            guard fields.count == 2, let label = Int64(fields[0]) else {
                throw CommandFailure("\(path): line \(number + 1) is not label<TAB>name")
            }
            names[label] = fields[1]
        }
        return names
    }
}
