import ArgumentParser
import Foundation
import PatientCase
import PatientStages
import PETQuant
import Reporting
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

    /// One map with its label image read onto its grid, and what resampling did.
    private struct MapSide {
        var map: LesionTable.LabelledMap
        var labelsPath: String
        var resampling = JSONObject()
        var path: String { map.source }
        var grid: GridGeometry { map.volume.geometry }

        init(path: String, volume: ScalarVolume, labelsPath: String, referenceLabels: [Int64], resample: Bool) throws {
            self.labelsPath = labelsPath
            let file = try Inputs.labels(labelsPath, onto: volume.geometry, gridOf: path, resample: resample)
            let regions = LabelRegions(file.image.codes)
            map = LesionTable.LabelledMap(volume: volume, labels: file.image, regions: regions,
                                          excluded: Set(referenceLabels.compactMap(file.image.code(ofLabel:))), source: path)
            if file.resampled { for (key, value) in file.labelResampling(after: regions) { resampling[key] = value } }
        }

        /// The same labels under another map on the same grid.
        func serving(_ path: String, _ volume: ScalarVolume) -> MapSide {
            var copy = self
            copy.map.source = path
            copy.map.volume = volume
            copy.resampling = [:]
            return copy
        }

        /// A reference region: label K of this side's label image, or a mask resampled onto its grid.
        mutating func region(label: Int64?, mask: String?, key: String, name: String, resample: Bool) throws -> ReferenceRegion? {
            if let label { return .init(voxels: map.labels.voxels(ofLabel: label, in: map.regions), source: labelsPath) }
            guard let mask else { return nil }
            let m = try Inputs.labels(mask, onto: grid, gridOf: path, resample: resample, asMask: true)
            let maskRegions = LabelRegions(m.image.codes)
            if m.resampled { resampling[key] = m.maskResampling(after: maskRegions) }
            RunWarnings.add(LesionTable.overlapWarning(mask: maskRegions.allVoxels, name: name, labels: map.labels, excluded: map.excluded))
            return .init(voxels: maskRegions.allVoxels, source: mask)
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

            var input = LesionTable.Input()
            // References, each on the map it serves.
            input.muscle = try suvSide?.region(label: muscleLabel, mask: muscleMask, key: "muscle_mask", name: "muscle", resample: resampleLabels)
            input.bloodPool = try suvSide?.region(label: bloodPoolLabel, mask: bloodPoolMask, key: "blood_pool_mask", name: "blood-pool",
                                                  resample: resampleLabels)
            input.normalLiver = try doseSide?.region(label: normalLiverLabel, mask: normalLiverMask, key: "normal_liver_mask",
                                                     name: "normal-liver", resample: resampleLabels)
            input.dose = doseSide?.map
            input.suv = suvSide?.map
            if let densityMap, let doseSide { input.densities = try Inputs.densityMap(densityMap, onto: doseSide.grid, gridOf: doseSide.path) }
            input.names = try names.map(LesionTable.readNames) ?? [:]
            input.patientID = patientId
            input.dvh = dvh != nil
            input.parameters.dx = dx.entries
            input.parameters.vxGy = vx.entries
            input.parameters.dvhBinGy = dvhBin.base
            input.parameters.dose.eudAlphaPerGy = eudAlpha
            input.parameters.dose.bedAlphaBetaGy = bedAlphaBeta.base
            input.parameters.dose.bedRepairHalfTimeH = bedRepairHalfTime.base / 3600
            input.parameters.dose.sourceHalfLifeH = halfLife.base / 3600
            input.parameters.uptake.hypoxiaCutoff = hypoxiaCutoff
            input.parameters.uptake.hypoxicVolumeCutoff = hypoxicVolumeCutoff
            input.parameters.uptake.statistic = hypoxiaStatistic
            input.parameters.uptake.peakRadiusMM = suvpeakRadius.base * 1000
            input.parameters.activityGBq = activity.map { $0.base / 1e9 }
            if resampleLabels {
                func entry(_ o: JSONObject?) -> JSONValue { (o?.entries.isEmpty ?? true) ? .null : .object(o!) }
                if suvLabels != nil {
                    input.resampling = .object(["dose": entry(doseSide?.resampling), "suv": entry(suvSide?.resampling)])
                } else {
                    var merged = (doseSide ?? suvSide)!.resampling
                    if doseSide != nil, let extra = suvSide?.resampling { for (key, value) in extra.entries { merged[key] = value } }
                    input.resampling = entry(merged)
                }
            }

            let (table, warnings) = try LesionTable.make(input)
            for warning in warnings { RunWarnings.add(warning) }
            let document = table.document(warnings: try RunWarnings.report())
            if let csv { try outputs.stage(text: table.csv, to: csv) }
            if let dvh { try outputs.stage(text: table.dvhCSV, to: dvh) }
            try outputs.finish(with: document.serialized(), to: out)
        }
    }
}
