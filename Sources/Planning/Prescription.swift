import Dosimetry

/// Microsphere type, for the default normal-liver limit.
public enum Microspheres: String, Sendable, CaseIterable {
    case resin, glass

    /// Default normal-liver mean-dose limit, Gy (EANM 2022, Weber et al., EJNMMI 2022;49:1682,
    /// Tables 2–3): resin < 40 Gy for the normal perfused liver (unilobar), glass < 75 Gy for
    /// the whole normal liver. Docs/PLANNING.md says which region each limit means.
    public var normalLiverLimitGy: Double {
        switch self {
        case .resin: return 40
        case .glass: return 75
        }
    }
}

/// What limits an activity.
public enum BindingConstraint: String, Sendable {
    /// The target lesions' needs, below every limit.
    case target
    case normalLiver = "normal_liver"
    case lung
    /// The resin BSA method's lung-shunt rule (no treatment above 20 %).
    case lungShunt = "lung_shunt"
}

/// Normal-liver and lung limits shared by the prescriptions (REFERENCE.md §4).
public struct TreatmentLimits: Sendable {
    /// Lung shunt fraction F in [0, 1).
    public var lungShuntFraction: Double
    public var lungMassKg = 1.0
    /// Lung mean-dose limit per treatment, Gy (30 Gy; 50 Gy cumulative).
    public var lungLimitGy = 30.0
    public var normalLiverLimitGy: Double

    public init(lungShuntFraction: Double, normalLiverLimitGy: Double) {
        self.lungShuntFraction = lungShuntFraction
        self.normalLiverLimitGy = normalLiverLimitGy
    }

    /// Lung mean dose at administered activity A: K · A · F / M_L (Gy; K = 49.67 Gy·kg/GBq).
    public func lungDoseGy(activityGBq a: Double) -> Double {
        Y90.doseFactorJPerGBq * a * lungShuntFraction / lungMassKg
    }

    /// The largest activity within the lung limit: limit · M_L / (K · F); nil (no bound) for F = 0.
    public var lungActivityLimitGBq: Double? {
        lungShuntFraction > 0 ? lungLimitGy * lungMassKg / (Y90.doseFactorJPerGBq * lungShuntFraction) : nil
    }

    /// The smaller of two optional bounds and which one it is.
    static func tighter(_ liver: Double?, _ lung: Double?) -> (activityGBq: Double, binding: BindingConstraint)? {
        switch (liver, lung) {
        case let (l?, g?): return l <= g ? (l, .normalLiver) : (g, .lung)
        case let (l?, nil): return (l, .normalLiver)
        case let (nil, g?): return (g, .lung)
        case (nil, nil): return nil
        }
    }
}

/// Prescription from a measured lesion table (CONTRACT.md "voxdose plan"): doses on the liver
/// side scale with the activity that reaches the liver, A·(1 − F), from the activity A0 that
/// the dose map corresponds to.
public struct TablePrescription: Sendable {
    /// The liver activity behind the dose map's doses, GBq.
    public var referenceActivityGBq: Double
    /// Normal-liver mean dose at the reference activity, Gy.
    public var normalLiverDoseAtReferenceGy: Double
    public var limits: TreatmentLimits

    public init(referenceActivityGBq: Double, normalLiverDoseAtReferenceGy: Double, limits: TreatmentLimits) {
        self.referenceActivityGBq = referenceActivityGBq
        self.normalLiverDoseAtReferenceGy = normalLiverDoseAtReferenceGy
        self.limits = limits
    }

    /// A liver-side dose measured at the reference activity, at administered activity A:
    /// D · A · (1 − F) / A0.
    public func liverSideDoseGy(_ doseAtReferenceGy: Double, activityGBq a: Double) -> Double {
        doseAtReferenceGy * a * (1 - limits.lungShuntFraction) / referenceActivityGBq
    }

    /// The activity at which a lesion of Dmean `doseAtReferenceGy` (at A0) receives
    /// `doseNeededGy`: D* · A0 / (D · (1 − F)); nil when the lesion receives no dose.
    public func activityGBq(doseAtReferenceGy: Double, doseNeededGy: Double) -> Double? {
        if doseNeededGy <= 0 { return 0 }
        guard doseAtReferenceGy > 0 else { return nil }
        return doseNeededGy * referenceActivityGBq / (doseAtReferenceGy * (1 - limits.lungShuntFraction))
    }

    /// The largest activity within the normal-liver and lung limits (nil when neither binds:
    /// no normal-liver dose and no shunt), and which limit it is.
    public var maximum: (activityGBq: Double, binding: BindingConstraint)? {
        let liver = normalLiverDoseAtReferenceGy > 0
            ? limits.normalLiverLimitGy * referenceActivityGBq / (normalLiverDoseAtReferenceGy * (1 - limits.lungShuntFraction))
            : nil
        return TreatmentLimits.tighter(liver, limits.lungActivityLimitGBq)
    }

    /// The smallest activity that brings every target to its dose needed (the largest of the
    /// targets' activities), capped by ``maximum``; nil without targets.
    public func prescribe(targetActivitiesGBq: [Double]) -> (activityGBq: Double, binding: BindingConstraint)? {
        guard let needed = targetActivitiesGBq.max() else { return nil }
        if let cap = maximum, needed > cap.activityGBq { return cap }
        return (needed, .target)
    }
}

/// The partition model (Ho et al., Eur J Nucl Med 1996): one tumour compartment with
/// tumour-to-normal uptake ratio TNR, D_N = K · A · (1 − F) / (TNR · M_T + M_N), D_T = TNR · D_N,
/// D_L = K · A · F / M_L; the activity is the largest within the normal-liver and lung limits.
/// Case (REFERENCE.md §4): M_T 0.2, M_N 1.3, TNR 3, F 0.08, D_N 40 Gy → A 1.663 GBq,
/// D_T 120 Gy, D_L 6.61 Gy.
public struct PartitionModel: Sendable {
    public var tumourMassKg: Double
    public var normalLiverMassKg: Double
    public var tumourToNormalRatio: Double
    public var limits: TreatmentLimits

    public init(tumourMassKg: Double, normalLiverMassKg: Double, tumourToNormalRatio: Double, limits: TreatmentLimits) {
        self.tumourMassKg = tumourMassKg
        self.normalLiverMassKg = normalLiverMassKg
        self.tumourToNormalRatio = tumourToNormalRatio
        self.limits = limits
    }

    public struct Result: Sendable {
        public var activityGBq, tumourDoseGy, normalLiverDoseGy, lungDoseGy: Double
        public var binding: BindingConstraint
    }

    /// Normal-liver mean dose at activity A, Gy.
    public func normalLiverDoseGy(activityGBq a: Double) -> Double {
        Y90.doseFactorJPerGBq * a * (1 - limits.lungShuntFraction)
            / (tumourToNormalRatio * tumourMassKg + normalLiverMassKg)
    }

    public var result: Result {
        let liver = limits.normalLiverLimitGy / normalLiverDoseGy(activityGBq: 1)
        let (activity, binding) = TreatmentLimits.tighter(liver, limits.lungActivityLimitGBq)!
        let normal = normalLiverDoseGy(activityGBq: activity)
        return Result(activityGBq: activity, tumourDoseGy: tumourToNormalRatio * normal, normalLiverDoseGy: normal,
                      lungDoseGy: limits.lungDoseGy(activityGBq: activity), binding: binding)
    }
}

/// The body-surface-area method for resin microspheres (SIR-Spheres instructions for use):
/// A [GBq] = (BSA − 0.2) + V_T / (V_T + V_N), BSA by DuBois & DuBois; reduced by 20 % for a
/// lung shunt of 10 % ≤ F < 15 %, by 40 % for 15 % ≤ F ≤ 20 %; no treatment above 20 %.
public struct BodySurfaceAreaMethod: Sendable {
    public var bodySurfaceAreaM2: Double
    public var tumourVolumeML: Double
    /// Whole liver, tumour included.
    public var liverVolumeML: Double
    public var lungShuntFraction: Double

    public init(bodySurfaceAreaM2: Double, tumourVolumeML: Double, liverVolumeML: Double, lungShuntFraction: Double) {
        self.bodySurfaceAreaM2 = bodySurfaceAreaM2
        self.tumourVolumeML = tumourVolumeML
        self.liverVolumeML = liverVolumeML
        self.lungShuntFraction = lungShuntFraction
    }

    /// V_T / (V_T + V_N) = tumour volume / whole-liver volume.
    public var tumourInvolvement: Double { tumourVolumeML / liverVolumeML }

    /// The fraction removed for the lung shunt; nil when there is no treatment (F > 20 %).
    public var lungShuntReduction: Double? {
        switch lungShuntFraction {
        case ..<0.10: return 0
        case ..<0.15: return 0.2
        case ...0.20: return 0.4
        default: return nil
        }
    }

    /// The activity, GBq; nil when the lung shunt rules out treatment.
    public var activityGBq: Double? {
        lungShuntReduction.map { (bodySurfaceAreaM2 - 0.2 + tumourInvolvement) * (1 - $0) }
    }
}
