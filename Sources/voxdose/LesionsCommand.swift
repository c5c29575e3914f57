import ArgumentParser
import Dosimetry
import Foundation
import Plausibility
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
    @Option(help: "Label of the muscle reference region in --labels.") var muscleLabel: Int64?
    @Option(help: "Label of the blood-pool reference region in --labels.") var bloodPoolLabel: Int64?
    @Option(help: "Label of the normal-liver reference region in --labels.") var normalLiverLabel: Int64?
    @Option(help: "Muscle reference mask (non-zero voxels).", completion: .file()) var muscleMask: String?
    @Option(help: "Blood-pool reference mask (non-zero voxels).", completion: .file()) var bloodPoolMask: String?
    @Option(help: "Normal-liver reference mask (non-zero voxels).", completion: .file()) var normalLiverMask: String?
    @Option(help: "TSV of label<TAB>name (an optional header row label<TAB>name).", completion: .file()) var names: String?
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

    func run() throws {
        try runReportingFailures(common) {
            let outputs = try OutputFiles([out, csv, dvh], inputs: [labels, dose, suv, muscleMask, bloodPoolMask,
                                                                    normalLiverMask, names, densityMap])

            // Maps, on one grid.
            let doseVolume = try dose.map { try Inputs.read($0, frame: nil, workingSet: 4.5, expecting: .dose).volume }
            let suvVolume = try suv.map { try Inputs.read($0, frame: nil, workingSet: 3.5, expecting: .uptake).volume }
            let grid = (doseVolume ?? suvVolume)!.geometry
            if let d = doseVolume, let s = suvVolume, !d.geometry.isSameGrid(as: s.geometry) {
                throw CommandFailure("\(suv!): SUV map grid differs from the dose map grid of \(dose!) "
                    + "(SUV \(Inputs.describe(s.geometry)); dose \(Inputs.describe(d.geometry))); register them first")
            }
            let mapPath = dose ?? suv!

            // Labels and reference masks, with resampling counts; one LabelRegions per image.
            var resampling = JSONObject()
            let labelFile = try Inputs.labels(labels, onto: grid, gridOf: mapPath, resample: resampleLabels)
            let labelImage = labelFile.image
            let regions = LabelRegions(labelImage.codes)
            if labelFile.resampled {
                for (key, value) in labelFile.labelResampling(after: regions) { resampling[key] = value }
            }
            let excluded = Set([muscleLabel, bloodPoolLabel, normalLiverLabel].compactMap { $0.flatMap(labelImage.code(ofLabel:)) })
            func region(_ label: Int64?, _ maskPath: String?, key: String, name: String) throws -> ArraySlice<Int>? {
                if let label { return labelImage.code(ofLabel: label).map { regions.voxels(ofLabel: $0) } ?? regions.indices[0..<0] }
                guard let maskPath else { return nil }
                let m = try Inputs.labels(maskPath, onto: grid, gridOf: mapPath, resample: resampleLabels, asMask: true)
                let mask = LabelRegions(m.image.codes)
                if m.resampled { resampling[key] = m.maskResampling(after: mask) }
                Self.warnOfOverlap(mask.allVoxels, name: name, labels: labelImage, excluded: excluded)
                return mask.allVoxels
            }
            let muscle = try region(muscleLabel, muscleMask, key: "muscle_mask", name: "muscle")
            let bloodPool = try region(bloodPoolLabel, bloodPoolMask, key: "blood_pool_mask", name: "blood-pool")
            let normalLiver = try region(normalLiverLabel, normalLiverMask, key: "normal_liver_mask", name: "normal-liver")

            // References.
            var references = JSONObject()
            func referenceMean(_ map: ScalarVolume?, _ region: ArraySlice<Int>?, name: String, option: String) throws -> Double? {
                guard let map, let region else { return nil }
                guard let mean = LesionUptake.regionMean(map.voxels, voxels: region) else {
                    throw CommandFailure("\(option): the \(name) reference region has no finite voxel in the map")
                }
                return mean
            }
            let muscleMean = try referenceMean(suvVolume, muscle, name: "muscle", option: muscleMask ?? labels)
            let bloodMean = try referenceMean(suvVolume, bloodPool, name: "blood-pool", option: bloodPoolMask ?? labels)
            let liverMean = try referenceMean(doseVolume, normalLiver, name: "normal-liver", option: normalLiverMask ?? labels)
            if let muscleMean { references["muscle_suv_mean"] = .number(muscleMean) }
            if let bloodMean { references["blood_pool_suv_mean"] = .number(bloodMean) }
            if let liverMean { references["normal_liver_dose_mean_gy"] = .number(liverMean) }

            // Lesions: every non-zero label but the reference labels.
            let lesionNames = try names.map { try Self.readNames($0) } ?? [:]
            let geometric = regions.counts
            let lesionLabels = regions.labels.filter { !excluded.contains($0) }
            for code in lesionLabels {
                RunWarnings.add(Plausibility.lesionLarge(label: labelImage.label(ofCode: code),
                                                         volumeML: Double(geometric[code] ?? 0) * grid.voxelVolumeML))
            }

            var doseBlocks: [Int32: JSONObject] = [:]
            var dvhRows: [(Int32, Double, Double)] = []
            // Mass-weighted means, Σ ρ·D / Σ ρ over the finite-dose voxels, when densities are given.
            var massWeightedMeans: [Int32: Double] = [:]
            if let densityMap, let doseVolume {
                let rho = try Inputs.densityMap(densityMap, onto: grid, gridOf: mapPath)
                massWeightedMeans = LabelPartition.weightedMeans(doseVolume.voxels, weights: rho, regions: regions)
            }
            if let doseVolume {
                var partition = LabelPartition(values: doseVolume.voxels, regions: regions)
                var settings = LesionDoseMetrics.Settings()
                settings.dxPercents = dx.entries.map(\.value)
                settings.vxLevelsGy = vx.entries.map(\.value)
                settings.eudAlphaPerGy = eudAlpha
                settings.bedAlphaBetaGy = bedAlphaBeta.base
                settings.bedRepairHalfTimeH = bedRepairHalfTime.base / 3600
                settings.sourceHalfLifeH = halfLife.base / 3600
                let metrics = LesionDoseMetrics.compute(&partition, excluding: excluded, settings: settings)
                for (label, m) in metrics {
                    doseBlocks[label] = doseBlock(m, massWeightedMean: massWeightedMeans[label])
                }
                if dvh != nil {
                    dvhRows = try Self.dvhRows(partition, metrics: metrics, binGy: dvhBin.base)
                }
            }
            var uptake: [Int32: LesionUptake.Metrics] = [:]
            if let suvVolume {
                try Inputs.checkSphere(radiusMM: suvpeakRadius.base * 1000, on: grid, image: suv!)
                var settings = LesionUptake.Settings()
                settings.hypoxiaCutoff = hypoxiaCutoff
                settings.hypoxicVolumeCutoff = hypoxicVolumeCutoff
                settings.statistic = hypoxiaStatistic
                settings.peakRadiusMM = suvpeakRadius.base * 1000
                for m in LesionUptake.metrics(suv: suvVolume.voxels, geometry: grid, regions: regions, excluding: excluded,
                                              references: .init(muscleMean: muscleMean, bloodPoolMean: bloodMean), settings: settings) {
                    uptake[m.label] = m
                }
            }

            let rows: [JSONObject] = lesionLabels.map { label in
                var row: JSONObject = ["label": .int(Int(labelImage.label(ofCode: label))), "name": .string(lesionNames[labelImage.label(ofCode: label)]),
                                       "voxels": .int(geometric[label] ?? 0),
                                       "volume_ml": .number(Double(geometric[label] ?? 0) * grid.voxelVolumeML)]
                if doseVolume != nil { row["dose"] = .object(doseBlocks[label] ?? [:]) }
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
            if resampleLabels { body["resampling"] = resampling.entries.isEmpty ? .null : .object(resampling) }
            body["warnings"] = try RunWarnings.report()

            if let csv { try outputs.stage(text: CSV.table(rows), to: csv) }
            if let dvh {
                var text = "label,dose_gy,volume_pct\n"
                for (code, level, pct) in dvhRows.sorted(by: { ($0.0, $0.1) < ($1.0, $1.1) }) {
                    let label = labelImage.label(ofCode: code)
                    text += "\(label),\(JSONValue.number(level).serialized()),\(JSONValue.number(pct).serialized())\n"
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
