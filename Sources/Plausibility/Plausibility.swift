import Foundation

/// The plausibility rules that stop a wrong unit from becoming a wrong prescription: each
/// takes the figures a command computed and returns a coded warning when they lie outside what
/// a radioembolization patient can show (CONTRACT.md guard rails; bounds and their reasons in
/// Docs/SAFETY.md). A value exactly at a bound is inside; bounds are compared with a relative
/// tolerance of 1e-9, so a figure that is the bound in exact arithmetic (a voxel count times a
/// voxel volume) is never judged outside by rounding.
///
/// No rule reads a file or an option: commands (and `case`, `batch`) call them with numbers and
/// name their own options in the message's remedy.
public enum Plausibility {
    /// A coded warning: `code: message`.
    public struct Warning: Equatable, Sendable, CustomStringConvertible {
        public var code: Code
        public var message: String
        public var description: String { "\(code.rawValue): \(message)" }
    }

    /// The codes, as written in `warnings` lists.
    public enum Code: String, Sendable, CaseIterable {
        case activityMismatch = "activity_mismatch"
        case activityImplausible = "activity_implausible"
        case doseImplausible = "dose_implausible"
        case decayIntervalLong = "decay_interval_long"
        case bodyImplausible = "body_implausible"
        case massImplausible = "mass_implausible"
        case referenceOverlap = "reference_overlap"
        case lesionLarge = "lesion_large"
        case resamplingLoss = "resampling_loss"
    }

    // MARK: - Bounds

    /// The image's activity at t0 over the administered activity less the residual.
    public static let imageToAdministeredRatio = 0.5 ... 1.5
    /// The activity a 90Y treatment puts in the field of view (GBq).
    public static let totalActivityGBq = 0.05 ... 30.0
    /// The largest voxel dose a real 90Y PET gives (Gy).
    public static let maximumDoseGy = 10_000.0
    /// The longest interval between administration and scan (days).
    public static let maximumDecayIntervalDays = 14.0
    /// An adult patient's weight (kg) and height (cm).
    public static let weightKg = 20.0 ... 300.0
    public static let heightCm = 100.0 ... 250.0
    /// Masses (kg) and volumes (mL) a liver treatment plans with.
    public static let tumourMassKg = 0.001 ... 5.0
    public static let normalLiverMassKg = 0.2 ... 5.0
    public static let lungMassKg = 0.3 ... 3.0
    public static let volumeML = 1.0 ... 5000.0
    /// The largest lesion (mL) that is not likely a whole liver given as a lesion.
    public static let maximumLesionML = 1000.0
    /// The share of its volume a label must keep when resampled.
    public static let minimumResampledFraction = 0.5

    static let relativeTolerance = 1e-9

    /// `value` within `range`, the bounds widened by the relative tolerance.
    static func isInside(_ value: Double, _ range: ClosedRange<Double>) -> Bool {
        value >= range.lowerBound * (1 - relativeTolerance) && value <= range.upperBound * (1 + relativeTolerance)
    }

    static func figure(_ x: Double) -> String {
        let magnitude = abs(x)
        if magnitude != 0 && (magnitude < 1e-3 || magnitude >= 1e6) { return String(format: "%.3g", x) }
        return String(format: "%.4g", x)
    }

    // MARK: - Rules

    /// `activity_mismatch`: the image's activity at implantation, `imageGBq`, is outside
    /// [0.5, 1.5] × (administered − residual); `source` says where the administered activity came from.
    public static func activityMismatch(imageGBq: Double, administeredGBq: Double, residualGBq: Double,
                                        source: String) -> Warning? {
        let net = administeredGBq - residualGBq
        guard net > 0, !isInside(imageGBq / net, imageToAdministeredRatio) else { return nil }
        let percent = 100 * imageGBq / net
        return Warning(code: .activityMismatch, message:
            "the image holds \(figure(imageGBq)) GBq at implantation, \(figure(percent)) % of the \(figure(net)) GBq administered "
            + "(\(source)); a unit mix-up (--units kBq/mL? MBq/mL?) or the wrong scan; check --units, or calibrate with "
            + "--calibrate-activity and --calibration-mask")
    }

    /// `activity_implausible`: the activity in the field of view is outside [0.05, 30] GBq.
    public static func activityImplausible(totalGBq: Double) -> Warning? {
        guard !isInside(totalGBq, totalActivityGBq) else { return nil }
        return Warning(code: .activityImplausible, message:
            "the image holds \(figure(totalGBq)) GBq at implantation, outside the \(figure(totalActivityGBq.lowerBound))–"
            + "\(figure(totalActivityGBq.upperBound)) GBq of a 90Y treatment; check the image's units (--units) and decay options")
    }

    /// `dose_implausible`: the largest voxel dose is above 10,000 Gy.
    public static func doseImplausible(maxGy: Double) -> Warning? {
        guard maxGy > maximumDoseGy * (1 + relativeTolerance) else { return nil }
        return Warning(code: .doseImplausible, message:
            "the largest voxel dose is \(figure(maxGy)) Gy, above the \(figure(maximumDoseGy)) Gy a 90Y PET can show; "
            + "check the image's units (--units) and --dose-factor")
    }

    /// `decay_interval_long`: more than 14 days between administration and the image's
    /// reference time.
    public static func decayIntervalLong(seconds: Double, from start: String, to end: String) -> Warning? {
        let days = seconds / 86_400
        guard days > maximumDecayIntervalDays * (1 + relativeTolerance) else { return nil }
        return Warning(code: .decayIntervalLong, message:
            "\(figure(days)) days pass between the \(start) and the \(end), more than \(figure(maximumDecayIntervalDays)); "
            + "check the dates (a wrong year or month?) and --decay-hours (hours, not seconds)")
    }

    /// `body_implausible`: a weight outside [20, 300] kg or a height outside [100, 250] cm,
    /// judged only for the figures a computation uses (nil ones are skipped).
    public static func bodyImplausible(weightKg: Double?, heightCm: Double?) -> Warning? {
        var parts: [String] = []
        if let w = weightKg, !isInside(w, Self.weightKg) {
            parts.append("weight \(figure(w)) kg is outside \(figure(Self.weightKg.lowerBound))–\(figure(Self.weightKg.upperBound)) kg (pounds or grams? --weight takes a unit: 70kg, 154lb)")
        }
        if let h = heightCm, !isInside(h, Self.heightCm) {
            parts.append("height \(figure(h)) cm is outside \(figure(Self.heightCm.lowerBound))–\(figure(Self.heightCm.upperBound)) cm (metres or inches? --height takes a unit: 175cm, 1.75m)")
        }
        guard !parts.isEmpty else { return nil }
        return Warning(code: .bodyImplausible, message: "the patient's " + parts.joined(separator: "; "))
    }

    /// A mass or volume a plan uses, named by its option.
    public enum PlanFigure: Sendable {
        case tumourMassKg(Double), normalLiverMassKg(Double), lungMassKg(Double)
        case tumourVolumeML(Double), liverVolumeML(Double)
    }

    /// `mass_implausible`: tumour mass outside [0.001, 5] kg, normal-liver mass outside
    /// [0.2, 5] kg, lung mass outside [0.3, 3] kg, a volume outside [1, 5000] mL.
    public static func massImplausible(_ figures: [PlanFigure]) -> Warning? {
        var parts: [String] = []
        for f in figures {
            let (option, value, range, unit): (String, Double, ClosedRange<Double>, String)
            switch f {
            case .tumourMassKg(let v): (option, value, range, unit) = ("--tumour-mass", v, tumourMassKg, "kg")
            case .normalLiverMassKg(let v): (option, value, range, unit) = ("--normal-liver-mass", v, normalLiverMassKg, "kg")
            case .lungMassKg(let v): (option, value, range, unit) = ("--lung-mass", v, lungMassKg, "kg")
            case .tumourVolumeML(let v): (option, value, range, unit) = ("--tumour-volume", v, volumeML, "mL")
            case .liverVolumeML(let v): (option, value, range, unit) = ("--liver-volume", v, volumeML, "mL")
            }
            if !isInside(value, range) {
                parts.append("\(option) \(figure(value)) \(unit) is outside \(figure(range.lowerBound))–\(figure(range.upperBound)) \(unit)")
            }
        }
        guard !parts.isEmpty else { return nil }
        return Warning(code: .massImplausible, message: parts.joined(separator: "; ") + " (grams given as kilograms? write the unit: 200g, 1.3kg)")
    }

    /// `reference_overlap`: a reference region of `referenceVoxels` shares `sharedVoxels` with
    /// the lesions `lesions`.
    public static func referenceOverlap(reference: String, referenceVoxels: Int, lesions: [Int64], sharedVoxels: Int) -> Warning? {
        guard sharedVoxels > 0, referenceVoxels > 0 else { return nil }
        let share = 100 * Double(sharedVoxels) / Double(referenceVoxels)
        let named = lesions.count == 1 ? "lesion \(lesions[0])" : "lesions " + lesions.map(String.init).joined(separator: ", ")
        return Warning(code: .referenceOverlap, message:
            "the \(reference) reference region shares \(sharedVoxels) voxels with \(named) (\(figure(share)) % of the reference region); "
            + "both use them: a whole-liver mask given as the normal liver? draw the reference region without the lesions")
    }

    /// `lesion_large`: a lesion of more than 1000 mL.
    public static func lesionLarge(label: Int64, volumeML: Double) -> Warning? {
        guard volumeML > maximumLesionML * (1 + relativeTolerance) else { return nil }
        return Warning(code: .lesionLarge, message:
            "lesion \(label) is \(figure(volumeML)) mL, larger than \(figure(maximumLesionML)) mL: the whole liver given as a lesion? "
            + "name the liver's label with --normal-liver-label")
    }

    /// `resampling_loss`: a label or mask that kept less than half its volume (mL) when
    /// resampled onto the map's grid, or no voxel at all.
    public static func resamplingLoss(what: String, beforeML: Double, afterML: Double, file: String) -> Warning? {
        guard beforeML > 0 else { return nil }
        guard afterML == 0 || afterML < beforeML * minimumResampledFraction * (1 - relativeTolerance) else { return nil }
        return Warning(code: .resamplingLoss, message:
            "\(what) of \(file) keeps \(figure(afterML)) mL of its \(figure(beforeML)) mL on the map's grid after resampling"
            + (afterML == 0 ? " (no voxel at all)" : "") + "; it is too small for that grid, or the two images do not overlap")
    }
}
