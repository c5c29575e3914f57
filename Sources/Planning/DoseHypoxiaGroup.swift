/// The four ARTE-MISO lesion groups (Soydal et al., Clin Nucl Med 2025): mean absorbed dose
/// above or below a cut-off (89 Gy) × hypoxic or not on FMISO PET (T/BP above 1.29).
/// Cut-offs are strict: a value equal to the cut-off is below it (REFERENCE.md §6.7).
public enum DoseHypoxiaGroup: String, Sendable, CaseIterable {
    case nonhypoxicHighDose = "nonhypoxic_highdose"
    case nonhypoxicLowDose = "nonhypoxic_lowdose"
    case hypoxicHighDose = "hypoxic_highdose"
    case hypoxicLowDose = "hypoxic_lowdose"

    /// The group of a lesion; nil when Dmean or T/BP is missing or not finite.
    public init?(doseMeanGy: Double?, tBP: Double?, doseCutoffGy: Double, hypoxiaCutoff: Double) {
        guard let dose = doseMeanGy, let ratio = tBP, dose.isFinite, ratio.isFinite else { return nil }
        switch (ratio > hypoxiaCutoff, dose > doseCutoffGy) {
        case (false, true): self = .nonhypoxicHighDose
        case (false, false): self = .nonhypoxicLowDose
        case (true, true): self = .hypoxicHighDose
        case (true, false): self = .hypoxicLowDose
        }
    }
}
