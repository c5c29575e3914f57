import Dosimetry
import Foundation
import Reporting
import VOIStatistics
import VoxelIO
import VoxelKernels

/// The decay correction of a dose map: the factor that brings the image values back to
/// implantation time t0, 2^((t_ref − t0) / T½), and how it was decided (resolved from options and
/// sidecar keys by the command).
public struct DecayTiming: Sendable {
    public var factor: Double
    /// How it was decided, for the summary.
    public var basis: String
    public var implantTime: String?
    public var referenceTime: String?
    public var elapsedHours: Double?

    public init(factor: Double, basis: String, implantTime: String? = nil, referenceTime: String? = nil, elapsedHours: Double? = nil) {
        self.factor = factor
        self.basis = basis
        self.implantTime = implantTime
        self.referenceTime = referenceTime
        self.elapsedHours = elapsedHours
    }
}

/// What an image for a dose map shows: a 90Y PET (the default without a sidecar saying
/// otherwise), or an image of another nuclide (`TracerRadionuclide`, else `RadionuclideHalfLife`
/// matched to a known nuclide within 0.1 %) or in counts (`Units`), which make the map predictive
/// (a 99mTc-MAA SPECT calibrated to the planned 90Y activity).
public struct DoseImageSource: Sendable {
    /// The imaged nuclide: Y90 for a 90Y PET; for a predictive map the one the sidecar names, or
    /// nil when it names none (counts alone).
    public var nuclide: Radionuclide?
    public var predictive: Bool
    /// Why the map is predictive, for the refusal without calibration.
    public var reason: String

    /// - Parameter unitsGiven: a unit given on the command line overrides the sidecar's `Units`.
    public init(_ sidecar: PETSidecar?, unitsGiven: Bool) throws {
        var named: Radionuclide?
        if let tracer = sidecar?.string("TracerRadionuclide") {
            guard let known = Radionuclide.named(tracer) else {
                throw StageFailure("\(sidecar!.path): TracerRadionuclide \"\(tracer)\" is not a radionuclide VoxDose knows")
            }
            named = known
        } else if let seconds = try sidecar?.number("RadionuclideHalfLife") {
            named = Radionuclide.matching(halfLifeSeconds: seconds)  // one that matches none names none
        }
        let units = unitsGiven ? nil : sidecar?.string("Units")
        let counts = units.map { Quantity.parse("1 " + $0, as: .concentration) == nil } ?? false
        predictive = (named != nil && named != .y90) || counts
        nuclide = predictive ? named : .y90
        if let named, named != .y90 { reason = "a \(named.symbol) image" } else { reason = "in \(units ?? "counts")" }
    }
}

/// A 90Y absorbed-dose map and its summary (`voxdose.dose/1`) as values.
public enum DoseStage {
    /// How the map is made, beyond the image.
    public struct Request: Sendable {
        /// Method, dose factor, half-life, density, and the scale from image units to Bq/mL at t0.
        public var settings = DoseMap.Settings()
        /// The uniform density, g/mL (also the density outside `densityByLabel`).
        public var uniformDensityGPerML = Y90.liverDensityGPerML
        /// The density is a map (no single density to report).
        public var densityIsMap = false
        /// Densities per label, g/mL, when given that way.
        public var densityByLabel: [Int32: Double]?
        /// The density map came from a CT: the calibration's source and the PET voxels outside the
        /// CT (given the uniform density).
        public var ctDensity: (calibration: String, voxelsOutside: Int)?
        public var decay = DecayTiming(factor: 1, basis: "patient-relative calibration")
        /// Calibration's scale from image units to Bq/mL at t0, when calibrated.
        public var calibrationFactor: Double?
        public var source: DoseImageSource
        public var sidecar: String?
        /// Image units to Bq/mL.
        public var unitsToBqPerML = 1.0
        /// Labels on the image grid: per-label dose statistics in the summary.
        public var regions: LabelImage?
        public init(source: DoseImageSource) { self.source = source }
    }

    /// The summary of a dose map.
    public struct Summary: Sendable {
        public var request: Request
        /// Activity in the image at implantation, GBq.
        public var totalActivityGBq: Double
        /// The largest finite dose, Gy (nil: none).
        public var maxGy: Float?
        /// Voxels whose value is not finite.
        public var nanVoxels: Int
        /// Some finite image value gave a non-finite dose (Float32 overflow): not a valid map.
        public var overflowed: Bool
        public var kernel: VoxelSValueKernel?
        public var densityScaling: DoseMap.DensityScaling
        /// `dvk-path` with a density map: the source voxels whose paths were followed.
        public var pathTracedSources: Int? = nil
        /// Per label of `request.regions`, Gy.
        public var regions: [(label: Int64?, statistics: RegionStatistics)]?

        /// The `voxdose.dose/1` document: `output` names the map as it will be found.
        public func document(output: String, warnings: JSONValue) -> JSONObject {
            let r = request
            var body: JSONObject = [
                "method": .string(r.settings.method.rawValue),
                "dose_factor_j_per_gbq": .number(r.settings.doseFactorJPerGBq),
                "half_life_h": .number(r.settings.halfLifeSeconds / 3600),
                "density_g_per_ml": r.densityIsMap || r.densityByLabel != nil ? .null : .number(r.uniformDensityGPerML),
                "decay_correction_factor": .number(r.decay.factor),
                "calibration_factor": .number(r.calibrationFactor),
                "total_activity_gbq": .number(totalActivityGBq),
                "max_gy": maxGy.map(JSONValue.float) ?? .null,
                "output": .string(output),
            ]
            if let kernel {
                body["kernel_source"] = .string(kernel.source.rawValue)
                body["kernel_voxel_mm"] = .array([kernel.voxelMM.x, kernel.voxelMM.y, kernel.voxelMM.z].map { .float(Float($0)) })  // the header's Float32 spacing, as written
                body["kernel_density_g_per_ml"] = .number(kernel.densityGPerML)
                body["density_scaling"] = .string(densityScaling.rawValue)
            }
            if let pathTracedSources { body["path_traced_source_voxels"] = .int(pathTracedSources) }
            if let byLabel = r.densityByLabel {
                var object = JSONObject()
                for (label, rho) in byLabel.sorted(by: { $0.key < $1.key }) { object[String(label)] = .number(rho) }
                body["density_by_label_g_per_ml"] = .object(object)
                body["density_elsewhere_g_per_ml"] = .number(r.uniformDensityGPerML)
            }
            if let ct = r.ctDensity {
                body["density_from_ct"] = .object(["calibration": .string(ct.calibration), "voxels_outside_ct": .int(ct.voxelsOutside),
                                                   "density_outside_ct_g_per_ml": .number(r.uniformDensityGPerML)])
            }
            body["source_nuclide"] = .string(r.source.nuclide?.symbol)
            body["predictive"] = .bool(r.source.predictive)
            body["sidecar"] = .string(r.sidecar)
            body["units_to_bq_per_ml"] = .number(r.unitsToBqPerML)
            body["decay_basis"] = .string(r.decay.basis)
            body["implant_time"] = .string(r.decay.implantTime)
            body["reference_time"] = .string(r.decay.referenceTime)
            body["decay_hours"] = .number(r.decay.elapsedHours)
            body["nan_voxels"] = .int(nanVoxels)
            if let regions {
                body["regions"] = .array(regions.map { label, s in
                    .object(["label": .int(label.map { Int($0) }), "voxels": .int(s.voxels), "volume_ml": .number(s.volumeML),
                             "mean_gy": .number(s.mean), "std_gy": .number(s.std), "min_gy": .number(s.min),
                             "max_gy": .number(s.max), "median_gy": .number(s.median), "nan_voxels": .int(s.nanVoxels)])
                })
            }
            body["warnings"] = warnings
            return JSONObject.document(schema: "voxdose.dose/1", body)
        }
    }

    /// The dose map of an image (``DoseMap/compute(concentrations:geometry:settings:)``) and its
    /// summary: the activity at implantation, A = Σ C · scale · V_mL · 1e-9 GBq, the largest dose,
    /// and per-label statistics when labels are given.
    /// - Parameter concentrations: the image values, consumed (LDM works in place on the last
    ///   reference).
    public static func run(concentrations: consuming [Float], geometry grid: GridGeometry,
                           _ request: Request) -> (doseGy: [Float], summary: Summary) {
        let activity = Reductions.finiteSummary(concentrations)
        let voxelCount = concentrations.count
        let result = DoseMap.compute(concentrations: consume concentrations, geometry: grid, settings: request.settings)
        let dose = Reductions.finiteSummary(result.doseGy)
        let totalActivityGBq = activity.sum * request.settings.concentrationScale * grid.voxelVolumeML * 1e-9
        var regions: [(label: Int64?, statistics: RegionStatistics)]?
        if let image = request.regions {
            regions = RegionStatisticsCalculator.compute(values: result.doseGy, labels: image.codes,
                                                         voxelVolumeML: grid.voxelVolumeML, percentiles: [])
                .map { ($0.label.map(image.label(ofCode:)), $0) }
        }
        let summary = Summary(request: request, totalActivityGBq: totalActivityGBq, maxGy: dose.finite > 0 ? dose.max : nil,
                              nanVoxels: voxelCount - activity.finite,
                              overflowed: dose.finite < activity.finite || !totalActivityGBq.isFinite,
                              kernel: result.kernel, densityScaling: result.densityScaling,
                              pathTracedSources: result.pathTracedSources, regions: regions)
        return (result.doseGy, summary)
    }
}
