import ArgumentParser
import Foundation
import PatientStages
import PETQuant
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

    /// What one time point gives: SULpeak per lesion label and the reference figures.
    private struct TimePoint {
        var name: String
        var labelsPath: String
        /// Lesion labels present, with SULpeak (nil when no voxel is finite in the map).
        var peaks: [Int64: Double?] = [:]
        var liver: (mean: Double, sd: Double)?
        var bloodPoolMean: Double?
        var resampling = JSONObject()
    }

    private func timePoint(_ name: String, map mapPath: String, labels labelsPath: String, frame: Int?,
                           liverMask: String?, bloodPoolMask: String?) throws -> TimePoint {
        common.progress("reading the \(name) map \(mapPath)")
        let map = try Inputs.read(mapPath, frame: frame, workingSet: 3.5, expecting: .uptake).volume
        let grid = map.geometry
        var point = TimePoint(name: name, labelsPath: labelsPath)
        let labelFile = try Inputs.labels(labelsPath, onto: grid, gridOf: mapPath, resample: resampleLabels)
        let labelImage = labelFile.image
        let regions = LabelRegions(labelImage.codes)
        if labelFile.resampled {
            for (key, value) in labelFile.labelResampling(after: regions) { point.resampling[key] = value }
        }

        /// The reference region at this time point: label K of this label image, or a mask.
        func region(_ label: Int64?, _ maskPath: String?, key: String) throws -> (voxels: ArraySlice<Int>, source: String)? {
            if let label {
                let voxels = labelImage.voxels(ofLabel: label, in: regions)
                return (voxels, "\(labelsPath) (label \(label))")
            }
            guard let maskPath else { return nil }
            let m = try Inputs.labels(maskPath, onto: grid, gridOf: mapPath, resample: resampleLabels, asMask: true)
            let mask = LabelRegions(m.image.codes)
            if m.resampled { point.resampling[key] = m.maskResampling(after: mask) }
            return (mask.allVoxels, maskPath)
        }
        func noFinite(_ reference: String, _ source: String) -> CommandFailure {
            CommandFailure("\(source): the \(reference) reference region has no finite voxel in the \(name) map \(mapPath)")
        }
        if let liver = try region(liverLabel, liverMask, key: "liver_mask") {
            guard let figures = PercistResponse.regionMeanAndSD(map.voxels, voxels: liver.voxels) else { throw noFinite("liver", liver.source) }
            point.liver = figures
        }
        if let blood = try region(bloodPoolLabel, bloodPoolMask, key: "blood_pool_mask") {
            guard let mean = LesionUptake.regionMean(map.voxels, voxels: blood.voxels) else { throw noFinite("blood-pool", blood.source) }
            point.bloodPoolMean = mean
        }

        common.progress("SULpeak of the \(name) lesions")
        try LesionTable.checkSUVpeakSphere(radiusMM: radiusMM, on: grid, image: mapPath)
        var settings = LesionUptake.Settings()
        settings.peakRadiusMM = radiusMM
        let excluded = Set(([liverLabel, bloodPoolLabel] + notLesionLabels.labels.map(Optional.some))
            .compactMap { $0.flatMap(labelImage.code(ofLabel:)) })
        for m in LesionUptake.metrics(suv: map.voxels, geometry: grid, regions: regions, excluding: excluded,
                                      references: .init(muscleMean: nil, bloodPoolMean: nil), settings: settings) {
            point.peaks[labelImage.label(ofCode: m.label)] = m.nanVoxels < m.voxels ? m.peak : nil
        }
        return point
    }

    func run() throws {
        try runReportingFailures(common) {
            let outputs = try OutputFiles([out], inputs: [baseline, baselineLabels, followup, followupLabels, liverMask, baselineLiverMask,
                                               followupLiverMask, bloodPoolMask, baselineBloodPoolMask, followupBloodPoolMask])
            let before = try timePoint("baseline", map: baseline, labels: baselineLabels, frame: baselineFrame ?? frame,
                                       liverMask: liverMask ?? baselineLiverMask, bloodPoolMask: bloodPoolMask ?? baselineBloodPoolMask)
            let after = try timePoint("follow-up", map: followup, labels: followupLabels, frame: followupFrame ?? frame,
                                      liverMask: liverMask ?? followupLiverMask, bloodPoolMask: bloodPoolMask ?? followupBloodPoolMask)

            let references = PercistResponse.References(
                liverMeanBaseline: before.liver?.mean, liverSDBaseline: before.liver?.sd,
                liverMeanFollowup: after.liver?.mean, bloodPoolMeanFollowup: after.bloodPoolMean)
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
            let lesionLabels = Set(before.peaks.keys).union(after.peaks.keys).sorted()
            if lesionLabels.isEmpty { warnings.append("no lesion label in \(baselineLabels) or \(followupLabels)") }

            let rows: [JSONObject] = lesionLabels.map { label in
                var causes: [String] = []
                func peak(_ point: TimePoint) -> Double? {
                    guard let entry = point.peaks[label] else {
                        causes.append(point.name == "baseline"
                            ? "absent from the baseline labels: new at follow-up (PERCIST counts a new lesion typical of cancer as progression of the patient, outside this per-lesion rule)"
                            : "absent from the follow-up labels")
                        return nil
                    }
                    if entry == nil { causes.append("no finite voxel in the \(point.name) map") }
                    return entry
                }
                let b = peak(before), f = peak(after)
                let a = PercistResponse.assess(baseline: b, followup: f, references: references)
                let notes = causes + a.notes
                return [
                    "label": .int(Int(label)),
                    "sulpeak_baseline": .number(b),
                    "sulpeak_followup": .number(f),
                    "change_pct": .number(a.changePct),
                    "change_abs": .number(a.changeAbs),
                    "measurable": a.measurable.map(JSONValue.bool) ?? .null,
                    "category": .string(a.category?.rawValue),
                    "response": .string(a.response?.rawValue),
                    "responder": a.responder.map(JSONValue.bool) ?? .null,
                    "note": .string(notes.isEmpty ? nil : notes.joined(separator: "; ")),
                ]
            }

            let warningList = try RunWarnings.report(warnings)
            let text: String
            switch format {
            case .csv:
                text = rows.isEmpty ? Self.csvColumns.joined(separator: ",") + "\n" : CSV.table(rows)
            case .json:
                let refs: JSONObject = [
                    "liver_sul_mean_baseline": .number(before.liver?.mean),
                    "liver_sul_sd_baseline": .number(before.liver?.sd),
                    "liver_sul_mean_followup": .number(after.liver?.mean),
                    "liver_sul_sd_followup": .number(after.liver?.sd),
                    "blood_pool_sul_mean_baseline": .number(before.bloodPoolMean),
                    "blood_pool_sul_mean_followup": .number(after.bloodPoolMean),
                ]
                let parameters: JSONObject = [
                    "suvpeak_radius_mm": .number(radiusMM),
                    "baseline_frame": .int(baselineFrame ?? frame),
                    "followup_frame": .int(followupFrame ?? frame),
                    "relative_change_pct": .number(100 * PercistResponse.relativeChange),
                    "absolute_change_sul": .number(PercistResponse.absoluteChangeSUL),
                    "measurable_liver_factor": .number(PercistResponse.liverFactor),
                    "measurable_liver_sd_factor": .number(PercistResponse.liverSDFactor),
                    "threshold_tolerance": .number(PercistResponse.tolerance),
                ]
                var body: JSONObject = ["lesions": .array(rows.map { .object($0) }), "references": .object(refs),
                                        "parameters": .object(parameters), "warnings": warningList]
                if resampleLabels {
                    body["resampling"] = .object([
                        "baseline": before.resampling.entries.isEmpty ? .null : .object(before.resampling),
                        "followup": after.resampling.entries.isEmpty ? .null : .object(after.resampling),
                    ])
                }
                text = JSONObject.document(schema: "voxdose.response/1", body).serialized()
            }
            try outputs.finish(with: text, to: out)
        }
    }

    /// The CSV header when there is no lesion row to take it from.
    static let csvColumns = ["label", "sulpeak_baseline", "sulpeak_followup", "change_pct", "change_abs", "measurable",
                             "category", "response", "responder", "note"]
}
