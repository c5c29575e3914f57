/// The Mann–Whitney U test of a predictor between positive and negative rows (Docs/COHORT.md).
public struct MannWhitneyTest: Equatable, Sendable {
    /// U of the positive rows: #{x₊ > x₋} + ½ #{x₊ = x₋} over all pairs (= AUC·n₁·n₀).
    public var u: Double
    /// (|U − μ| − ½) / σ floored at 0; nil when σ = 0 (every value tied).
    public var z: Double?
    /// Two-sided p = min(1, 2·(1 − Φ(z))); nil when σ = 0.
    public var p: Double?

    /// The normal approximation with tie and continuity corrections (as scipy's
    /// `mannwhitneyu(method="asymptotic", use_continuity=True)`):
    /// μ = n₁n₀/2, σ² = n₁n₀/12 · ((n + 1) − Σ(t³ − t) / (n(n − 1))) over tie groups of size t
    /// (the usual tie correction of the null variance of U). Nil when either group is empty.
    public init?(values: [Double], positive: [Bool]) {
        let ranks = TwoSampleRanks(values: values, positive: positive)
        guard ranks.positives > 0, ranks.negatives > 0 else { return nil }
        let n1 = Double(ranks.positives), n0 = Double(ranks.negatives), n = n1 + n0
        u = ranks.u
        let ties = ranks.tieSizes.reduce(0.0) { let t = Double($1); return $0 + (t * t * t - t) }
        let variance = n1 * n0 / 12 * ((n + 1) - ties / (n * (n - 1)))
        guard variance > 0 else { z = nil; p = nil; return }
        let statistic = max(0, (abs(u - n1 * n0 / 2) - 0.5) / variance.squareRoot())
        z = statistic
        p = min(1, 2 * NormalDistribution.sf(statistic))
    }
}
