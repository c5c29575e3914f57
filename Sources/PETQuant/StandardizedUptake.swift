import Foundation

/// Standardized uptake value: activity concentration normalised by the injected activity
/// (decayed to the image's reference time) per unit of body size.
///
///     SUV = C[Bq/mL] · M / (A_inj[Bq] · 2^(−Δt/T½))
///
/// M is the body weight or lean body mass in g (SUV in g/mL), or the body surface area in cm²
/// (SUVbsa in cm²/mL, the DICOM and QIBA convention). Δt = image reference time − injection time;
/// 0 when the image is decay-corrected to administration. REFERENCE.md §2; worked case: C = 5300
/// Bq/mL, 370 MBq, 70 kg, Δt = 60 min, 18F → SUVbw 1.465.
public enum StandardizedUptake {
    public enum Normalization: String, Sendable, CaseIterable {
        case bw, lbmJames = "lbm-james", lbmJanmahasatian = "lbm-janmahasatian", bsa
    }

    public struct Factor: Sendable, Equatable {
        /// SUV per Bq/mL.
        public var suvPerBqPerML: Double
        /// "g/mL" or "cm2/mL".
        public var unit: String
        /// The body-size measure used: g for weight and lean body mass, cm² for surface area.
        public var normalizer: Double
        /// The fraction of the injected activity left at the reference time, 2^(−Δt/T½).
        public var activityDecayFactor: Double
    }

    public enum Failure: Error, Equatable {
        /// Height or sex is needed for this normalisation.
        case missing(String)
        case nonPositive(String)
    }

    /// The SUV factor.
    /// - Parameters:
    ///   - elapsedSeconds: Δt (0 for an image decay-corrected to administration).
    public static func factor(normalization: Normalization, injectedBq: Double, elapsedSeconds: Double,
                              halfLifeSeconds: Double, weightKg: Double, heightM: Double?,
                              sex: BodyMetrics.Sex?) throws(Failure) -> Factor {
        guard injectedBq > 0 else { throw .nonPositive("injected activity") }
        guard weightKg > 0 else { throw .nonPositive("weight") }
        let decay = pow(2, -elapsedSeconds / halfLifeSeconds)
        let normalizer: Double, unit: String
        switch normalization {
        case .bw:
            normalizer = weightKg * 1000; unit = "g/mL"
        case .lbmJames, .lbmJanmahasatian:
            guard let heightM else { throw .missing("height") }
            guard let sex else { throw .missing("sex") }
            let lbm = normalization == .lbmJames
                ? BodyMetrics.leanBodyMassJamesKg(weightKg: weightKg, heightM: heightM, sex: sex)
                : BodyMetrics.leanBodyMassJanmahasatianKg(weightKg: weightKg, heightM: heightM, sex: sex)
            guard lbm > 0 else { throw .nonPositive("lean body mass") }
            normalizer = lbm * 1000; unit = "g/mL"
        case .bsa:
            guard let heightM else { throw .missing("height") }
            normalizer = BodyMetrics.bodySurfaceAreaDuBoisM2(weightKg: weightKg, heightM: heightM) * 1e4; unit = "cm2/mL"
        }
        return Factor(suvPerBqPerML: normalizer / (injectedBq * decay), unit: unit, normalizer: normalizer,
                      activityDecayFactor: decay)
    }
}
