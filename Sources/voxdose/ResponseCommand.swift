import ArgumentParser
import Foundation
import PatientStages
import Reporting
import VoxelIO
import VoxelKernels

/// `voxdose response`: PERCIST 1.0 per lesion from baseline and follow-up SUL maps
/// (`voxdose.response/1`, CONTRACT.md; rules and decisions in Docs/RESPONSE.md).
struct Response: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "PERCIST 1.0 per-lesion response from baseline and follow-up SUL maps (voxdose.response/1).")

    @Option(help: "Baseline SUL map (SUV normalised to lean body mass; not converted).", completion: .file()) var baseline: String
    @Option(help: "Baseline label image, on the baseline map's grid: one lesion per non-zero label.", completion: .file()) var baselineLabels: String
    @Option(help: "Follow-up SUL map.", completion: .file()) var followup: String
    @Option(help: "Follow-up label image, on the follow-up map's grid; lesions match by label number.", completion: .file()) var followupLabels: String
    @Option(help: "Label of the liver reference in both label images.") var liverLabel: Int64?
    @Option(help: "Liver reference mask used at both time points (non-zero voxels; must fit both grids, or --resample-labels).", completion: .file()) var liverMask: String?
    @Option(help: "Liver reference mask on the baseline grid.", completion: .file()) var baselineLiverMask: String?
    @Option(help: "Liver reference mask on the follow-up grid.", completion: .file()) var followupLiverMask: String?
    @Option(help: "Label of the blood-pool reference in both label images.") var bloodPoolLabel: Int64?
    @Option(help: "Blood-pool reference mask used at both time points.", completion: .file()) var bloodPoolMask: String?
    @Option(help: "Blood-pool reference mask on the baseline grid.", completion: .file()) var baselineBloodPoolMask: String?
    @Option(help: "Blood-pool reference mask on the follow-up grid.", completion: .file()) var followupBloodPoolMask: String?
    @Option(help: ArgumentHelp("Labels that are not lesions (other reference regions, e.g. muscle: 7,9).", valueName: "list"))
    var notLesionLabels = LabelList()
    @Option(help: "SULpeak sphere radius (bare number: mm); default 6.204mm, a 1 mL sphere.") var suvpeakRadius: QuantityArgument<LengthMM>?
    @Option(help: "Frame of 4-D maps (0-based), at both time points.") var frame: Int?
    @Option(help: "Frame of a 4-D baseline map (overrides --frame).") var baselineFrame: Int?
    @Option(help: "Frame of a 4-D follow-up map (overrides --frame).") var followupFrame: Int?
    @Flag(help: "Map label images and masks from other grids to their map's grid (nearest neighbour).") var resampleLabels = false
    @Option(help: "Output format.") var format: OutputFormat = .json
    @Option(help: "Write the output to FILE instead of stdout.", completion: .file()) var out: String?
    @OptionGroup var common: CommonOptions

    /// The SULpeak radius in mm (PERCIST's 1 mL sphere unless given).
    private var radiusMM: Double { suvpeakRadius.map { $0.base * 1000 } ?? 6.204 }

    func validate() throws {
        for (name, value) in [("--frame", frame), ("--baseline-frame", baselineFrame), ("--followup-frame", followupFrame)] {
            if let value, value < 0 { throw ValidationError("\(name) must be 0 or more") }
        }
        if let suvpeakRadius, !(suvpeakRadius.base > 0) { throw ValidationError("--suvpeak-radius must be positive") }
        for (name, label, shared, first, second) in [
            ("liver", liverLabel, liverMask, baselineLiverMask, followupLiverMask),
            ("blood-pool", bloodPoolLabel, bloodPoolMask, baselineBloodPoolMask, followupBloodPoolMask),
        ] {
            if label == 0 { throw ValidationError("--\(name)-label must be a non-zero label") }
            if label != nil && (shared != nil || first != nil || second != nil) {
                throw ValidationError("give --\(name)-label or a \(name) mask, not both")
            }
            if shared != nil && (first != nil || second != nil) {
                throw ValidationError("give --\(name)-mask (both time points) or --baseline-\(name)-mask/--followup-\(name)-mask, not both")
            }
        }
        if let liverLabel, liverLabel == bloodPoolLabel {
            throw ValidationError("--liver-label and --blood-pool-label must differ")
        }
    }

    /// One scan read with its label image and reference regions, and measured.
    private func timePoint(_ name: String, map mapPath: String, labels labelsPath: String, frame: Int?,
                           liverMask: String?, bloodPoolMask: String?) throws -> ResponseTable.TimePoint {
        common.progress("reading the \(name) map \(mapPath)")
        let map = try Inputs.read(mapPath, frame: frame, workingSet: 3.5, expecting: .uptake).volume
        let grid = map.geometry
        var resampling = JSONObject()
        let labelFile = try Inputs.labels(labelsPath, onto: grid, gridOf: mapPath, resample: resampleLabels)
        let labelImage = labelFile.image
        let regions = LabelRegions(labelImage.codes)
        if labelFile.resampled {
            for (key, value) in labelFile.labelResampling(after: regions) { resampling[key] = value }
        }

        /// The reference region at this time point: label K of this label image, or a mask.
        func region(_ label: Int64?, _ maskPath: String?, key: String) throws -> ReferenceRegion? {
            if let label { return ReferenceRegion(voxels: labelImage.voxels(ofLabel: label, in: regions), source: "\(labelsPath) (label \(label))") }
            guard let maskPath else { return nil }
            let m = try Inputs.labels(maskPath, onto: grid, gridOf: mapPath, resample: resampleLabels, asMask: true)
            let mask = LabelRegions(m.image.codes)
            if m.resampled { resampling[key] = m.maskResampling(after: mask) }
            return ReferenceRegion(voxels: mask.allVoxels, source: maskPath)
        }
        let liver = try region(liverLabel, liverMask, key: "liver_mask")
        let bloodPool = try region(bloodPoolLabel, bloodPoolMask, key: "blood_pool_mask")
        let excluded = Set(([liverLabel, bloodPoolLabel] + notLesionLabels.labels.map(Optional.some))
            .compactMap { $0.flatMap(labelImage.code(ofLabel:)) })
        common.progress("SULpeak of the \(name) lesions")
        return try ResponseTable.TimePoint.measure(
            name, map: LesionTable.LabelledMap(volume: map, labels: labelImage, regions: regions, excluded: excluded, source: mapPath),
            liver: liver, bloodPool: bloodPool, peakRadiusMM: radiusMM, resampling: resampling)
    }

    func run() throws {
        try runReportingFailures(common) {
            let outputs = try OutputFiles([out], inputs: [baseline, baselineLabels, followup, followupLabels, liverMask, baselineLiverMask,
                                               followupLiverMask, bloodPoolMask, baselineBloodPoolMask, followupBloodPoolMask])
            let before = try timePoint("baseline", map: baseline, labels: baselineLabels, frame: baselineFrame ?? frame,
                                       liverMask: liverMask ?? baselineLiverMask, bloodPoolMask: bloodPoolMask ?? baselineBloodPoolMask)
            let after = try timePoint("follow-up", map: followup, labels: followupLabels, frame: followupFrame ?? frame,
                                      liverMask: liverMask ?? followupLiverMask, bloodPoolMask: bloodPoolMask ?? followupBloodPoolMask)
            var table = ResponseTable(baseline: before, followup: after, peakRadiusMM: radiusMM)
            table.frames = (baselineFrame ?? frame, followupFrame ?? frame)
            table.resampled = resampleLabels

            var warnings: [String] = []
            if before.liver == nil {
                warnings.append("no baseline liver reference (--liver-label, --liver-mask or --baseline-liver-mask): measurable is null")
            }
            if after.liver == nil {
                warnings.append("no follow-up liver reference (--liver-label, --liver-mask or --followup-liver-mask): CMR is not assigned")
            }
            if after.bloodPoolMean == nil {
                warnings.append("no follow-up blood-pool reference (--blood-pool-label, --blood-pool-mask or --followup-blood-pool-mask): CMR is not assigned")
            }
            if table.rows.isEmpty { warnings.append("no lesion label in \(baselineLabels) or \(followupLabels)") }
            let warningList = try RunWarnings.report(warnings)
            let text = format == .csv ? table.csv : table.document(warnings: warningList).serialized()
            try outputs.finish(with: text, to: out)
        }
    }
}
