import VoxelKernels

/// PERCIST 1.0 per-lesion metabolic response from SULpeak at baseline and follow-up
/// (Wahl RL, Jacene H, Kasamon Y, Lodge MA. From RECIST to PERCIST: evolving considerations for
/// PET response criteria in solid tumors. J Nucl Med 2009;50 Suppl 1:122S–150S; REFERENCE.md §2.1).
///
/// Units: every value is in SUL, the SUV normalised to lean body mass (g/mL). The rule takes SUL
/// figures as given; it does not convert SUV to SUL (Docs/RESPONSE.md).
///
/// With b the baseline SULpeak, f the follow-up SULpeak:
///
///     change_abs = f − b                         (SUL)
///     change_pct = 100 · (f − b) / b             (%; undefined when b ≤ 0)
///     measurable = b > 1.5 · liverMean₀ + 2 · liverSD₀   (baseline liver, population SD)
///
/// Category, in this order (the first that holds):
/// - CMR: f ≤ follow-up liver SULmean AND f ≤ follow-up blood-pool SULmean (both references
///   needed; without either, CMR is not assigned);
/// - PMD: f rises by > 30 % of b AND by ≥ 0.8 SUL;
/// - PMR: f falls by ≥ 30 % of b AND by ≥ 0.8 SUL;
/// - SMD otherwise.
/// CMR is tested first: a follow-up uptake at or below both backgrounds is not residual disease,
/// whatever the relative change (for a measurable lesion CMR implies a fall anyway).
///
/// Thresholds and floating point: the maps are Float32, so a decimal such as 3.9 is stored as
/// 3.9000001 (3.0 → 3.9, exactly +30 %, would read as above 30 %), and even in Float64
/// 2.8 − 2.0 is 0.7999999999999998 (below 0.8 SUL): a case exactly on a threshold would fall on
/// whichever side binary rounding decides. Every comparison with a threshold therefore
/// treats two numbers within ``tolerance`` × max(1, |x|, |y|) of each other as equal, then
/// applies the rule's own strictness: `≥`/`≤` include such near-equal values, `>` excludes them.
/// The relative change is compared as the ratio (f − b)/b against ∓0.3, so the tolerance is
/// 1e-6 of that ratio (1e-4 percentage points): far below any clinical difference, and ten times
/// the Float32 rounding of the inputs.
public enum PercistResponse {
    /// PERCIST 1.0 per-lesion metabolic category.
    public enum Category: String, Sendable, CaseIterable {
        case cmr = "CMR", pmr = "PMR", smd = "SMD", pmd = "PMD"

        /// The response category the metabolic category corresponds to.
        public var response: Response {
            switch self {
            case .cmr: return .cr
            case .pmr: return .pr
            case .smd: return .sd
            case .pmd: return .pd
            }
        }
    }

    /// Response category: complete, partial, stable, progressive.
    public enum Response: String, Sendable, CaseIterable {
        case cr = "CR", pr = "PR", sd = "SD", pd = "PD"

        /// A responder is CR or PR.
        public var isResponder: Bool { self == .cr || self == .pr }
    }

    /// Reference-region figures (SUL), each nil when that region is not given.
    public struct References: Sendable, Equatable {
        /// Baseline liver SULmean and population SD: the measurability threshold.
        public var liverMeanBaseline: Double?
        public var liverSDBaseline: Double?
        /// Follow-up liver and blood-pool SULmean: the CMR rule.
        public var liverMeanFollowup: Double?
        public var bloodPoolMeanFollowup: Double?

        public init(liverMeanBaseline: Double? = nil, liverSDBaseline: Double? = nil,
                    liverMeanFollowup: Double? = nil, bloodPoolMeanFollowup: Double? = nil) {
            self.liverMeanBaseline = liverMeanBaseline
            self.liverSDBaseline = liverSDBaseline
            self.liverMeanFollowup = liverMeanFollowup
            self.bloodPoolMeanFollowup = bloodPoolMeanFollowup
        }
    }

    /// One lesion's assessment. Figures that cannot be computed are nil, with a note saying why.
    public struct Assessment: Sendable, Equatable {
        /// 100 · (f − b) / b, %; nil without both SULpeaks or when b ≤ 0.
        public var changePct: Double?
        /// f − b, SUL; nil without both SULpeaks.
        public var changeAbs: Double?
        /// b > 1.5 · liver mean + 2 · SD; nil without b or without the baseline liver reference.
        public var measurable: Bool?
        /// nil when the lesion cannot be categorised (a SULpeak missing, or b ≤ 0).
        public var category: Category?
        /// Why a figure is missing or a rule could not be applied; empty when nothing is.
        public var notes: [String]

        public var response: Response? { category?.response }
        public var responder: Bool? { response?.isResponder }
    }

    /// Fall needed for PMR and rise exceeded for PMD, as a fraction of the baseline SULpeak.
    public static let relativeChange = 0.30
    /// Absolute change needed for PMR and PMD, SUL.
    public static let absoluteChangeSUL = 0.8
    /// Measurable when b > liverFactor · liver mean + liverSDFactor · liver SD.
    public static let liverFactor = 1.5
    public static let liverSDFactor = 2.0
    /// Two numbers this close (relative to max(1, |x|, |y|)) count as equal at a threshold.
    public static let tolerance = 1e-6

    /// x ≤ y, counting values within the tolerance as equal.
    static func atMost(_ x: Double, _ y: Double) -> Bool { x <= y + tolerance * Swift.max(1, abs(x), abs(y)) }
    /// x > y, counting values within the tolerance as equal (so not above).
    static func above(_ x: Double, _ y: Double) -> Bool { x > y + tolerance * Swift.max(1, abs(x), abs(y)) }

    /// Measurable at baseline: b > 1.5 · liver SULmean + 2 · SD (strict).
    public static func isMeasurable(baselineSULpeak b: Double, liverMean: Double, liverSD: Double) -> Bool {
        above(b, liverFactor * liverMean + liverSDFactor * liverSD)
    }

    /// The PERCIST assessment of one lesion from its SULpeaks (nil or non-finite when not
    /// measured) and the reference figures available.
    public static func assess(baseline: Double?, followup: Double?, references r: References) -> Assessment {
        let b = baseline.flatMap { $0.isFinite ? $0 : nil }, f = followup.flatMap { $0.isFinite ? $0 : nil }
        var result = Assessment(changePct: nil, changeAbs: nil, measurable: nil, category: nil, notes: [])
        if let b, let liver = r.liverMeanBaseline, let sd = r.liverSDBaseline {
            result.measurable = isMeasurable(baselineSULpeak: b, liverMean: liver, liverSD: sd)
        }
        guard let b else {
            result.notes.append("no baseline SULpeak: change and category are not defined")
            return result
        }
        guard let f else {
            result.notes.append("no follow-up SULpeak: not categorised (a lesion is not taken as CMR without a follow-up measurement at its site)")
            return result
        }
        let delta = f - b
        result.changeAbs = delta
        guard b > 0 else {
            result.notes.append("baseline SULpeak is \(b == 0 ? "0" : "negative"): the relative change is not defined; not categorised")
            return result
        }
        let ratio = delta / b
        result.changePct = 100 * ratio

        let belowLiver = r.liverMeanFollowup.map { atMost(f, $0) }
        let belowBloodPool = r.bloodPoolMeanFollowup.map { atMost(f, $0) }
        if belowLiver == true && belowBloodPool == true {
            result.category = .cmr
            return result
        }
        if belowLiver == true && belowBloodPool == nil {
            result.notes.append("follow-up SULpeak ≤ the follow-up liver SULmean, but CMR also needs the follow-up blood-pool SULmean (not given)")
        }
        if belowBloodPool == true && belowLiver == nil {
            result.notes.append("follow-up SULpeak ≤ the follow-up blood-pool SULmean, but CMR also needs the follow-up liver SULmean (not given)")
        }
        let largeChange = !above(absoluteChangeSUL, abs(delta))  // |Δ| ≥ 0.8 SUL
        if above(ratio, relativeChange) && largeChange {
            result.category = .pmd
        } else if atMost(ratio, -relativeChange) && largeChange {
            result.category = .pmr
        } else {
            result.category = .smd
        }
        return result
    }

    /// Mean and population SD of the finite values of a reference region (a label's or a mask's
    /// voxels, from ``LabelRegions``); nil when none is finite.
    public static func regionMeanAndSD(_ sul: [Float], voxels: ArraySlice<Int>) -> (mean: Double, sd: Double)? {
        Reductions.meanAndSD(sul, at: voxels).map { ($0.mean, $0.sd) }
    }

    /// Mean and population SD of the finite values where `mask` is non-zero; nil when none is.
    public static func regionMeanAndSD(_ sul: [Float], mask: [Int32]) -> (mean: Double, sd: Double)? {
        regionMeanAndSD(sul, voxels: LabelRegions(mask).allVoxels)
    }
}
