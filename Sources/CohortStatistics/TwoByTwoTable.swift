import Foundation

/// A 2×2 table of a predictor split at a cut-off against a binary outcome, with its tests
/// (Docs/COHORT.md, "Tables at a cut-off"). Rows: above / below the cut-off; columns:
/// positive / negative outcome.
public struct TwoByTwoTable: Equatable, Sendable {
    public var abovePositive: Int
    public var aboveNegative: Int
    public var belowPositive: Int
    public var belowNegative: Int

    /// A table from its four counts (non-negative).
    public init(abovePositive: Int, aboveNegative: Int, belowPositive: Int, belowNegative: Int) {
        precondition(min(abovePositive, aboveNegative, belowPositive, belowNegative) >= 0, "counts are non-negative")
        self.abovePositive = abovePositive
        self.aboveNegative = aboveNegative
        self.belowPositive = belowPositive
        self.belowNegative = belowNegative
    }

    /// Counts `values` split strictly at `cutoff`: "above" means value > cutoff; a value equal
    /// to the cut-off is below (CONTRACT.md: cut-offs are strict everywhere).
    public init(values: [Double], positive: [Bool], cutoff: Double) {
        precondition(values.count == positive.count, "one outcome per value")
        var cells = [0, 0, 0, 0]
        for (value, isPositive) in zip(values, positive) {
            cells[(value > cutoff ? 0 : 2) + (isPositive ? 0 : 1)] += 1
        }
        self.init(abovePositive: cells[0], aboveNegative: cells[1], belowPositive: cells[2], belowNegative: cells[3])
    }

    public var total: Int { abovePositive + aboveNegative + belowPositive + belowNegative }

    /// 100·above_positive / (above_positive + above_negative); nil for an empty row.
    public var responseAbovePercent: Double? { Self.percent(abovePositive, of: abovePositive + aboveNegative) }
    /// 100·below_positive / (below_positive + below_negative); nil for an empty row.
    public var responseBelowPercent: Double? { Self.percent(belowPositive, of: belowPositive + belowNegative) }

    private static func percent(_ part: Int, of whole: Int) -> Double? {
        whole > 0 ? 100 * Double(part) / Double(whole) : nil
    }

    /// The product of the four margins, or nil when one is zero (an expected count is then 0).
    private var marginProduct: Double? {
        let margins = [abovePositive + aboveNegative, belowPositive + belowNegative,
                       abovePositive + belowPositive, aboveNegative + belowNegative]
        guard margins.allSatisfy({ $0 > 0 }) else { return nil }
        return margins.reduce(1.0) { $0 * Double($1) }
    }

    /// |O − E|, the same in every cell of a 2×2 table: |ad − bc| / N.
    private var absoluteDeviation: Double {
        abs(Double(abovePositive * belowNegative - aboveNegative * belowPositive)) / Double(total)
    }

    /// Pearson's χ² without correction, Σ (O − E)² / E with E = row total · column total / N.
    /// Since Σ 1/E = N³ / (R₁R₂C₁C₂) in a 2×2 table, this is N (ad − bc)² / (R₁R₂C₁C₂).
    /// Nil when an expected count is 0 (an empty row or column).
    public var chiSquared: Double? {
        guard let product = marginProduct else { return nil }
        let n = Double(total), deviation = absoluteDeviation
        return deviation * deviation * n * n * n / product
    }

    /// P(χ²₁ > `chiSquared`); nil with it.
    public var chiSquaredP: Double? { chiSquared.map { ChiSquaredDistribution.sf($0, degreesOfFreedom: 1) } }

    /// χ² with Yates' continuity correction: each |O − E| reduced by min(½, |O − E|) (scipy's
    /// `chi2_contingency(correction=True)` rule), Σ (|O − E| − c)² / E. Nil as ``chiSquared``.
    public var yatesChiSquared: Double? {
        guard let product = marginProduct else { return nil }
        let n = Double(total), deviation = absoluteDeviation
        let corrected = deviation - min(0.5, deviation)
        return corrected * corrected * n * n * n / product
    }

    /// P(χ²₁ > `yatesChiSquared`); nil with it.
    public var yatesP: Double? { yatesChiSquared.map { ChiSquaredDistribution.sf($0, degreesOfFreedom: 1) } }

    /// Fisher's exact test, two-sided: Σ P(x) over the tables x with the observed margins whose
    /// hypergeometric probability P(x) = C(C₁, x) C(N − C₁, R₁ − x) / C(N, R₁) is at most the
    /// observed one's times 1 + 1e-7 (the relative tolerance of scipy's `fisher_exact`, so that
    /// tables equally likely in exact arithmetic count alike). The unnormalised weights
    /// C(C₁, x) C(N − C₁, R₁ − x) are taken in log space from ln Γ relative to the largest (no
    /// overflow for any N) and the selected sum is divided by the sum over all x, so that a
    /// selection of every table gives exactly 1.
    public var fisherExactP: Double {
        let n = total
        let rowAbove = abovePositive + aboveNegative, columnPositive = abovePositive + belowPositive
        let lowest = max(0, rowAbove + columnPositive - n), highest = min(rowAbove, columnPositive)
        func logChoose(_ n: Int, _ k: Int) -> Double {
            GammaFunctions.logGamma(Double(n + 1)) - GammaFunctions.logGamma(Double(k + 1)) - GammaFunctions.logGamma(Double(n - k + 1))
        }
        let logWeights = (lowest...highest).map { logChoose(columnPositive, $0) + logChoose(n - columnPositive, rowAbove - $0) }
        let largest = logWeights.max()!
        let threshold = logWeights[abovePositive - lowest] + log1p(1e-7)
        var selected = 0.0, all = 0.0
        for logWeight in logWeights {
            let weight = exp(logWeight - largest)
            all += weight
            if logWeight <= threshold { selected += weight }
        }
        return min(1, selected / all)
    }
}
