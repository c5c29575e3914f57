import PETQuant
import Reporting
import VoxelKernels

/// PERCIST 1.0 per lesion between a baseline and a follow-up SUL map (`voxdose.response/1`,
/// Docs/RESPONSE.md) as a value: each scan's SULpeak per lesion and reference figures, each
/// lesion's assessment (``PercistResponse/assess(baseline:followup:references:)``), and the one
/// place its JSON and CSV are written.
public struct ResponseTable: Sendable {
    /// What one scan gives.
    public struct TimePoint: Sendable {
        /// `baseline` or `follow-up`.
        public var name: String
        /// The lesion labels present, with SULpeak (nil when no voxel is finite in the map).
        public var peaks: [Int64: Double?] = [:]
        /// The liver reference's mean and SD, and the blood pool's mean.
        public var liver: (mean: Double, sd: Double)?
        public var bloodPoolMean: Double?
        /// What resampling the label image and masks did (`resampling`), when they were resampled.
        public var resampling = JSONObject()

        /// Measures a scan: SULpeak of every lesion (every label but the reference labels), the
        /// references' figures.
        /// - Parameter map: the map with its label image on its grid; `source` names the map's file.
        /// - Throws: ``StageFailure`` for a reference region without a finite voxel, or an SUVpeak
        ///   sphere too large for the grid.
        public static func measure(_ name: String, map: LesionTable.LabelledMap, liver: ReferenceRegion?, bloodPool: ReferenceRegion?,
                                   peakRadiusMM: Double, resampling: JSONObject = [:]) throws -> TimePoint {
            var point = TimePoint(name: name, resampling: resampling)
            func noFinite(_ reference: String, _ source: String) -> StageFailure {
                StageFailure("\(source): the \(reference) reference region has no finite voxel in the \(name) map \(map.source)")
            }
            if let liver {
                guard let figures = PercistResponse.regionMeanAndSD(map.volume.voxels, voxels: liver.voxels) else { throw noFinite("liver", liver.source) }
                point.liver = figures
            }
            if let bloodPool {
                guard let mean = LesionUptake.regionMean(map.volume.voxels, voxels: bloodPool.voxels) else {
                    throw noFinite("blood-pool", bloodPool.source)
                }
                point.bloodPoolMean = mean
            }
            try LesionTable.checkSUVpeakSphere(radiusMM: peakRadiusMM, on: map.volume.geometry, image: map.source)
            var settings = LesionUptake.Settings()
            settings.peakRadiusMM = peakRadiusMM
            for m in LesionUptake.metrics(suv: map.volume.voxels, geometry: map.volume.geometry, regions: map.regions, excluding: map.excluded,
                                          references: .init(muscleMean: nil, bloodPoolMean: nil), settings: settings) {
                point.peaks[map.labels.label(ofCode: m.label)] = m.nanVoxels < m.voxels ? m.peak : nil
            }
            return point
        }
    }

    /// One lesion: its SULpeak at each scan and its assessment; `notes` say why a figure is missing.
    public struct Row: Sendable {
        public var label: Int64
        public var baseline: Double?
        public var followup: Double?
        public var assessment: PercistResponse.Assessment
        public var notes: [String]
    }

    public var baseline: TimePoint
    public var followup: TimePoint
    /// Lesions of either scan, matched by label, in label order.
    public var rows: [Row]
    public var peakRadiusMM: Double
    /// The frames the maps were read from (for `parameters`).
    public var frames: (baseline: Int?, followup: Int?) = (nil, nil)
    /// Whether label images were resampled (the document then has `resampling`).
    public var resampled = false

    /// The assessment of every lesion in either scan (matched by label number).
    public init(baseline: TimePoint, followup: TimePoint, peakRadiusMM: Double) {
        self.baseline = baseline
        self.followup = followup
        self.peakRadiusMM = peakRadiusMM
        let references = PercistResponse.References(
            liverMeanBaseline: baseline.liver?.mean, liverSDBaseline: baseline.liver?.sd,
            liverMeanFollowup: followup.liver?.mean, bloodPoolMeanFollowup: followup.bloodPoolMean)
        rows = Set(baseline.peaks.keys).union(followup.peaks.keys).sorted().map { label in
            var causes: [String] = []
            func peak(_ point: TimePoint, isBaseline: Bool) -> Double? {
                guard let entry = point.peaks[label] else {
                    causes.append(isBaseline
                        ? "absent from the baseline labels: new at follow-up (PERCIST counts a new lesion typical of cancer as progression of the patient, outside this per-lesion rule)"
                        : "absent from the follow-up labels")
                    return nil
                }
                if entry == nil { causes.append("no finite voxel in the \(point.name) map") }
                return entry
            }
            let b = peak(baseline, isBaseline: true), f = peak(followup, isBaseline: false)
            let assessment = PercistResponse.assess(baseline: b, followup: f, references: references)
            return Row(label: label, baseline: b, followup: f, assessment: assessment, notes: causes + assessment.notes)
        }
    }

    // MARK: - Documents

    /// One lesion's row.
    public static func object(_ row: Row) -> JSONObject {
        let a = row.assessment
        return [
            "label": .int(Int(row.label)),
            "sulpeak_baseline": .number(row.baseline),
            "sulpeak_followup": .number(row.followup),
            "change_pct": .number(a.changePct),
            "change_abs": .number(a.changeAbs),
            "measurable": a.measurable.map(JSONValue.bool) ?? .null,
            "category": .string(a.category?.rawValue),
            "response": .string(a.response?.rawValue),
            "responder": a.responder.map(JSONValue.bool) ?? .null,
            "note": .string(row.notes.isEmpty ? nil : row.notes.joined(separator: "; ")),
        ]
    }

    /// The CSV header when there is no lesion row to take it from.
    public static let csvColumns = ["label", "sulpeak_baseline", "sulpeak_followup", "change_pct", "change_abs", "measurable",
                                    "category", "response", "responder", "note"]

    /// The rows as CSV.
    public var csv: String { rows.isEmpty ? Self.csvColumns.joined(separator: ",") + "\n" : CSV.table(rows.map(Self.object)) }

    /// The `voxdose.response/1` document, with the run's `warnings`.
    public func document(warnings: JSONValue) -> JSONObject {
        let references: JSONObject = [
            "liver_sul_mean_baseline": .number(baseline.liver?.mean),
            "liver_sul_sd_baseline": .number(baseline.liver?.sd),
            "liver_sul_mean_followup": .number(followup.liver?.mean),
            "liver_sul_sd_followup": .number(followup.liver?.sd),
            "blood_pool_sul_mean_baseline": .number(baseline.bloodPoolMean),
            "blood_pool_sul_mean_followup": .number(followup.bloodPoolMean),
        ]
        let parameters: JSONObject = [
            "suvpeak_radius_mm": .number(peakRadiusMM),
            "baseline_frame": .int(frames.baseline),
            "followup_frame": .int(frames.followup),
            "relative_change_pct": .number(100 * PercistResponse.relativeChange),
            "absolute_change_sul": .number(PercistResponse.absoluteChangeSUL),
            "measurable_liver_factor": .number(PercistResponse.liverFactor),
            "measurable_liver_sd_factor": .number(PercistResponse.liverSDFactor),
            "threshold_tolerance": .number(PercistResponse.tolerance),
        ]
        var body: JSONObject = ["lesions": .array(rows.map { .object(Self.object($0)) }), "references": .object(references),
                                "parameters": .object(parameters), "warnings": warnings]
        if resampled {
            body["resampling"] = .object([
                "baseline": baseline.resampling.entries.isEmpty ? .null : .object(baseline.resampling),
                "followup": followup.resampling.entries.isEmpty ? .null : .object(followup.resampling),
            ])
        }
        return JSONObject.document(schema: "voxdose.response/1", body)
    }
}
