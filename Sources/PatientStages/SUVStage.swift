import PETQuant
import Reporting
import VoxelIO
import VoxelKernels

/// An SUV (or SUL, SUVbsa) map and its summary (`voxdose.suv/1`) as values: the image scaled by
/// the factor of ``StandardizedUptake/factor(normalization:injectedBq:elapsedSeconds:halfLifeSeconds:weightKg:heightM:sex:)``.
public enum SUVStage {
    /// Everything the summary records, resolved from options and the sidecar by the command.
    public struct Request: Sendable {
        public var normalization: StandardizedUptake.Normalization
        public var factor: StandardizedUptake.Factor
        /// Image units to Bq/mL.
        public var unitsToBqPerML: Double
        /// Δt from injection to the image's reference time, s (0 for an image decay-corrected to
        /// administration), and how it was decided.
        public var elapsedSeconds: Double
        public var decayBasis: String
        public var injectionTime: String?
        public var referenceTime: String?
        public var halfLifeSeconds: Double
        public var nuclide: String?
        public var injectedBq: Double
        public var weightKg: Double
        public var heightM: Double?
        public var sex: BodyMetrics.Sex?
        public var sidecar: String?

        public init(normalization: StandardizedUptake.Normalization, factor: StandardizedUptake.Factor, unitsToBqPerML: Double,
                    elapsedSeconds: Double, decayBasis: String, halfLifeSeconds: Double, injectedBq: Double, weightKg: Double) {
            self.normalization = normalization
            self.factor = factor
            self.unitsToBqPerML = unitsToBqPerML
            self.elapsedSeconds = elapsedSeconds
            self.decayBasis = decayBasis
            self.halfLifeSeconds = halfLifeSeconds
            self.injectedBq = injectedBq
            self.weightKg = weightKg
        }

        /// SUV per image unit: the units' factor × SUV per Bq/mL.
        public var scale: Double { unitsToBqPerML * factor.suvPerBqPerML }

        /// The `voxdose.suv/1` document: `output` names the map as it will be found.
        public func document(output: String, warnings: JSONValue) -> JSONObject {
            var body: JSONObject = [
                "normalization": .string(normalization.rawValue),
                "suv_factor": .number(factor.suvPerBqPerML),  // per Bq/mL (CONTRACT.md), whatever the voxel unit
                "suv_unit": .string(factor.unit),
                "activity_decay_factor": .number(factor.activityDecayFactor),
                "delta_t_s": .number(elapsedSeconds),
                "half_life_s": .number(halfLifeSeconds),
                "output": .string(output),
            ]
            body["nuclide"] = .string(nuclide)
            body["injected_activity_bq"] = .number(injectedBq)
            body["weight_kg"] = .number(weightKg)
            body["height_m"] = .number(heightM)
            body["sex"] = .string(sex?.rawValue)
            if normalization == .lbmJames || normalization == .lbmJanmahasatian { body["lbm_kg"] = .number(factor.normalizer / 1000) }
            if normalization == .bsa { body["bsa_m2"] = .number(factor.normalizer / 1e4) }
            body["units_to_bq_per_ml"] = .number(unitsToBqPerML)
            body["decay_basis"] = .string(decayBasis)
            body["injection_time"] = .string(injectionTime)
            body["reference_time"] = .string(referenceTime)
            body["sidecar"] = .string(sidecar)
            body["warnings"] = warnings
            return JSONObject.document(schema: "voxdose.suv/1", body)
        }
    }

    /// The map, scaled in place from the image values it consumes; nil when the Float32 factor
    /// overflows or vanishes, or a finite value would overflow (a Float32 product is monotonic, so
    /// the largest magnitude decides). `maximum` is the map's largest finite value (0 for none).
    public static func run(concentrations: consuming [Float], _ request: Request) -> (suv: [Float], maximum: Float)? {
        let input = Reductions.finiteSummary(concentrations)
        let scale = request.scale, factor32 = Float(scale)
        guard scale.isFinite, scale > 0, factor32 > 0, input.finite == 0 || (max(abs(input.min), abs(input.max)) * factor32).isFinite else {
            return nil
        }
        var suv = consume concentrations
        ElementwiseMaps.scale(&suv, by: factor32)
        return (suv, input.finite > 0 ? input.max * factor32 : 0)
    }
}

extension StandardizedUptake.Normalization {
    /// The kind written into the map's `intent_name`.
    public var mapKind: MapKind {
        switch self {
        case .bw: return .suvBodyWeight
        case .lbmJames: return .sulJames
        case .lbmJanmahasatian: return .sulJanmahasatian
        case .bsa: return .suvBodySurfaceArea
        }
    }
}
