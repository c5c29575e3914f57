import PETQuant
import Reporting
import VOIStatistics

/// The per-lesion table (`voxdose.lesions/1`) as a value: what ``LesionTable/make(_:)`` computes
/// from the maps, and the one place its JSON document, CSV and DVH CSV are written from.
public struct LesionTable: Sendable {
    /// A number as the user wrote it (`97.5`) and its value: the key of a Dx or Vx column.
    public typealias KeyedLevel = (key: String, value: Double)

    /// What the table was computed with: its `parameters` block.
    public struct Parameters: Sendable {
        /// Dx percentages (dose to the hottest x %) and Vx dose levels (Gy), keyed as written.
        public var dx: [KeyedLevel] = ["2", "50", "70", "90", "98"].map { ($0, Double($0)!) }
        public var vxGy: [KeyedLevel] = ["50", "89", "100", "120", "205"].map { ($0, Double($0)!) }
        public var dvhBinGy = 1.0
        /// EUD, BED and the source half-life (`dxPercents` and `vxLevelsGy` follow `dx`, `vxGy`).
        public var dose = LesionDoseMetrics.Settings()
        /// Hypoxia cut-offs, the T/BP statistic, the SUVpeak radius.
        public var uptake = LesionUptake.Settings()
        /// Activity in the dose map's field of view, GBq (carried for `plan`).
        public var activityGBq: Double?
        /// Dmean is the mass-weighted mean Σ ρ·D / Σ ρ (a density map was given).
        public var massWeighted = false
        public init() {}
    }

    /// The reference regions' means: `references`.
    public struct References: Sendable {
        public var muscleSUVMean: Double?
        public var bloodPoolSUVMean: Double?
        public var normalLiverDoseMeanGy: Double?
        public init() {}
    }

    /// One lesion.
    public struct Row: Sendable {
        public var label: Int64
        public var name: String?
        /// Voxels and volume (mL) in the dose map's label image, else the SUV map's.
        public var voxels: Int
        public var volumeML: Double
        /// Present when the lesion is in the dose map's label image.
        public var dose: LesionDoseMetrics?
        /// Σ ρ·D / Σ ρ over the lesion's finite doses, when densities were given.
        public var massWeightedMeanGy: Double?
        /// Present when the lesion is in the SUV map's label image.
        public var uptake: LesionUptake.Metrics?

        /// Dmean, Gy: mass-weighted when densities were given, else the voxel mean.
        public var doseMeanGy: Double? { dose.map { massWeightedMeanGy ?? $0.meanGy } }
    }

    /// One point of a cumulative DVH: the % of the region's finite voxels at or above `doseGy`.
    public struct DVHPoint: Sendable, Equatable {
        public var doseGy: Double
        public var volumePct: Double
    }

    public var patientID: String?
    /// In label order.
    public var rows: [Row]
    public var references = References()
    public var parameters = Parameters()
    /// What resampling the label images did (`resampling`), when they were resampled.
    public var resampling: JSONValue?
    /// Each lesion's cumulative DVH (when asked for), by label.
    public var dvh: [Int64: [DVHPoint]] = [:]
    /// The normal liver's cumulative DVH, when its region is known and a DVH was asked for.
    public var normalLiverDVH: [DVHPoint] = []

    public init(patientID: String?, rows: [Row]) {
        self.patientID = patientID
        self.rows = rows
    }

    // MARK: - Documents

    /// One row as the table writes it (JSON, and flattened for the CSV).
    public func object(_ row: Row) -> JSONObject {
        var object: JSONObject = patientID.map { ["patient_id": .string($0)] } ?? [:]
        object["label"] = .int(Int(row.label))
        object["name"] = .string(row.name)
        object["voxels"] = .int(row.voxels)
        object["volume_ml"] = .number(row.volumeML)
        if let m = row.dose {
            var d = JSONObject(), v = JSONObject()
            for (entry, value) in zip(parameters.dx, m.dGy) { d[entry.key] = .number(value) }
            for (entry, value) in zip(parameters.vxGy, m.vPct) { v[entry.key] = .number(value) }
            let empty = m.voxels == 0
            object["dose"] = .object([
                "nan_voxels": .int(m.nanVoxels), "mean_gy": .number(row.massWeightedMeanGy ?? m.meanGy), "std_gy": .number(m.stdGy),
                "min_gy": empty ? .null : .float(Float(m.minGy)), "max_gy": empty ? .null : .float(Float(m.maxGy)),
                "median_gy": .number(m.medianGy), "d": .object(d), "v_pct": .object(v),
                "eud_gy": .number(m.eudGy ?? nil), "bed_gy": .number(m.bedGy),
            ])
        }
        if let m = row.uptake {
            let empty = m.voxels == m.nanVoxels
            object["suv"] = .object(["nan_voxels": .int(m.nanVoxels), "max": .number(empty ? nil : m.max),
                                     "mean": .number(empty ? nil : m.mean), "peak": .number(empty ? nil : m.peak),
                                     "std": .number(empty ? nil : m.std)])
            if references.muscleSUVMean != nil { object["t_m"] = .number(empty ? nil : m.tM) }
            if references.bloodPoolSUVMean != nil {
                object["t_bp"] = .number(empty ? nil : m.tBP)
                object["hypoxic"] = m.hypoxic.map(JSONValue.bool) ?? .null
                object["hypoxic_volume_ml"] = .number(m.hypoxicVolumeML)
                object["hypoxic_fraction"] = .number(m.hypoxicFraction)
            }
        }
        return object
    }

    /// The `voxdose.lesions/1` document, with the run's `warnings`.
    public func document(warnings: JSONValue) -> JSONObject {
        var references = JSONObject()
        if let mean = self.references.muscleSUVMean { references["muscle_suv_mean"] = .number(mean) }
        if let mean = self.references.bloodPoolSUVMean { references["blood_pool_suv_mean"] = .number(mean) }
        if let mean = self.references.normalLiverDoseMeanGy { references["normal_liver_dose_mean_gy"] = .number(mean) }
        let p = parameters
        let parameters: JSONObject = [
            "dx": .array(p.dx.map { .number($0.value) }),
            "vx_gy": .array(p.vxGy.map { .number($0.value) }),
            "dvh_bin_gy": .number(p.dvhBinGy),
            "hypoxia_cutoff": .number(p.uptake.hypoxiaCutoff),
            "hypoxic_volume_cutoff": .number(p.uptake.hypoxicVolumeCutoff),
            "hypoxia_statistic": .string(p.uptake.statistic.rawValue),
            "eud_alpha_per_gy": .number(p.dose.eudAlphaPerGy),
            "bed_alpha_beta_gy": .number(p.dose.bedAlphaBetaGy),
            "bed_repair_half_time_h": .number(p.dose.bedRepairHalfTimeH),
            "half_life_h": .number(p.dose.sourceHalfLifeH),
            "suvpeak_radius_mm": .number(p.uptake.peakRadiusMM),
            "activity_gbq": .number(p.activityGBq),
            "dose_mean_weighting": .string(p.massWeighted ? "mass" : "voxel"),
        ]
        var body: JSONObject = ["lesions": .array(rows.map { .object(object($0)) }), "references": .object(references),
                                "parameters": .object(parameters)]
        if let resampling { body["resampling"] = resampling }
        body["warnings"] = warnings
        return JSONObject.document(schema: "voxdose.lesions/1", body)
    }

    /// The rows as CSV (nested keys joined with `_`).
    public var csv: String { CSV.table(rows.map(object)) }

    /// The DVH CSV: `label,dose_gy,volume_pct`, lesions by label and dose, then the normal liver.
    public var dvhCSV: String {
        var text = "label,dose_gy,volume_pct\n"
        func line(_ label: String, _ point: DVHPoint) {
            text += "\(label),\(JSONValue.number(point.doseGy).serialized()),\(JSONValue.number(point.volumePct).serialized())\n"
        }
        for label in dvh.keys.sorted() {
            for point in dvh[label]!.sorted(by: { $0.doseGy < $1.doseGy }) { line(String(label), point) }
        }
        for point in normalLiverDVH { line("normal_liver", point) }
        return text
    }
}
