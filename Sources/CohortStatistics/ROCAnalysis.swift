/// Receiver operating characteristic of one continuous predictor against a binary outcome:
/// AUC with ties, DeLong's standard error and interval, direction and the Youden cut-off
/// (Docs/COHORT.md, "ROC").
public struct ROCAnalysis: Equatable, Sendable {
    public enum Direction: String, Sendable {
        /// Higher values predict the positive outcome: the test is positive when value > cut-off.
        case greater
        /// Lower values predict it: the test is positive when value ≤ cut-off.
        case less
    }

    public var positives: Int
    public var negatives: Int
    /// P(X₊ > X₋) + ½ P(X₊ = X₋): the Mann–Whitney statistic over n₁n₀ (Hanley & McNeil 1982).
    public var auc: Double
    /// DeLong's standard error; nil when n₁ < 2 or n₀ < 2.
    public var standardError: Double?
    public var direction: Direction
    /// The observed value that maximises Youden's J in `direction`.
    public var youdenCutoff: Double
    public var sensitivity: Double
    public var specificity: Double

    /// AUC ± z·SE (z = 1.959964) clipped to [0, 1]; nil without a standard error.
    public var ci95: (lower: Double, upper: Double)? {
        guard let se = standardError else { return nil }
        return (max(0, auc - NormalDistribution.z95 * se), min(1, auc + NormalDistribution.z95 * se))
    }

    /// The analysis of finite `values` against `positive`; nil when either group is empty.
    /// O(n log n): AUC from ranks, DeLong's components from combined and within-group midranks
    /// (Sun & Xu, IEEE Signal Process. Lett. 2014), the Youden cut-off from one sweep over the
    /// sorted distinct values.
    /// With `clusters` (one id per row: the patient of each lesion), the standard error is
    /// Obuchowski's clustered one (``obuchowskiStandardError(_:positive:clusters:auc:)``).
    public init?(values: [Double], positive: [Bool], clusters: [Int]? = nil) {
        let ranks = TwoSampleRanks(values: values, positive: positive)
        guard ranks.positives > 0, ranks.negatives > 0 else { return nil }
        positives = ranks.positives
        negatives = ranks.negatives
        auc = ranks.u / (Double(positives) * Double(negatives))
        if let clusters {
            standardError = Self.obuchowskiStandardError(ranks, positive: positive, clusters: clusters, auc: auc)
        } else {
            standardError = Self.delongStandardError(ranks, positive: positive)
        }
        direction = auc >= 0.5 ? .greater : .less
        (youdenCutoff, sensitivity, specificity) = Self.youden(values: values, positive: positive, direction: direction,
                                                                positives: positives, negatives: negatives)
    }

    /// DeLong's structural components (DeLong, DeLong & Clarke-Pearson, Biometrics 1988):
    /// V₁₀(i) = mean over negatives j of ψ(xᵢ, xⱼ) for each positive row i, and
    /// V₀₁(j) = mean over positives i of ψ(xᵢ, xⱼ) for each negative row j, ψ = 1, ½, 0 for
    /// >, =, <. From ranks: V₁₀(i) = (R(i) − Rₚ(i)) / n₀ and V₀₁(j) = 1 − (R(j) − Rₙ(j)) / n₁,
    /// with R the combined midrank and Rₚ, Rₙ the midranks within the row's group. Row order is
    /// kept within each group.
    public static func delongComponents(values: [Double], positive: [Bool]) -> (v10: [Double], v01: [Double]) {
        components(TwoSampleRanks(values: values, positive: positive), positive: positive)
    }

    private static func components(_ ranks: TwoSampleRanks, positive: [Bool]) -> (v10: [Double], v01: [Double]) {
        let n1 = Double(ranks.positives), n0 = Double(ranks.negatives)
        var v10: [Double] = [], v01: [Double] = []
        for index in positive.indices {
            let below = ranks.combined[index] - ranks.withinGroup[index]
            if positive[index] { v10.append(below / n0) } else { v01.append(1 - below / n1) }
        }
        return (v10, v01)
    }

    /// SE = √(S₁₀/n₁ + S₀₁/n₀), S the sample variances (n − 1 divisor) of the components.
    private static func delongStandardError(_ ranks: TwoSampleRanks, positive: [Bool]) -> Double? {
        guard ranks.positives >= 2, ranks.negatives >= 2 else { return nil }
        let (v10, v01) = components(ranks, positive: positive)
        func sampleVariance(_ x: [Double]) -> Double {
            let mean = x.reduce(0, +) / Double(x.count)
            return x.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(x.count - 1)
        }
        return (sampleVariance(v10) / Double(v10.count) + sampleVariance(v01) / Double(v01.count)).squareRoot()
    }

    /// Obuchowski's clustered variance of the AUC (Obuchowski, Biometrics 1997;53:567–578), from
    /// DeLong's components summed per cluster: with I clusters, I₁₀ of them holding positives and
    /// I₀₁ holding negatives, M positives and N negatives, V₁₀ᵢ = Σ of V₁₀ over cluster i's
    /// positives (mᵢ of them), V₀₁ᵢ likewise (nᵢ negatives),
    ///     S₁₀ = I₁₀/((I₁₀−1)M) Σᵢ (V₁₀ᵢ − mᵢθ)²,  S₀₁ = I₀₁/((I₀₁−1)N) Σᵢ (V₀₁ᵢ − nᵢθ)²,
    ///     S₁₁ = I/(I−1) Σᵢ (V₁₀ᵢ − mᵢθ)(V₀₁ᵢ − nᵢθ),
    ///     var θ = S₁₀/M + S₀₁/N + 2·S₁₁/(M·N).
    /// With one row per cluster this is DeLong's variance exactly (S₁₁ = 0, I₁₀ = M, I₀₁ = N).
    /// Nil when fewer than two clusters hold positives, or fewer than two hold negatives.
    private static func obuchowskiStandardError(_ ranks: TwoSampleRanks, positive: [Bool], clusters: [Int], auc: Double) -> Double? {
        let (v10, v01) = components(ranks, positive: positive)
        var sum10: [Int: Double] = [:], sum01: [Int: Double] = [:], m: [Int: Double] = [:], n: [Int: Double] = [:]
        var p = 0, q = 0
        for (index, isPositive) in positive.enumerated() {
            let c = clusters[index]
            if isPositive { sum10[c, default: 0] += v10[p]; m[c, default: 0] += 1; p += 1 }
            else { sum01[c, default: 0] += v01[q]; n[c, default: 0] += 1; q += 1 }
        }
        guard m.count >= 2, n.count >= 2 else { return nil }
        let all = Set(clusters), count = Double(all.count)
        let bigM = Double(ranks.positives), bigN = Double(ranks.negatives)
        var s10 = 0.0, s01 = 0.0, s11 = 0.0
        for c in all {
            let a = (sum10[c] ?? 0) - (m[c] ?? 0) * auc, b = (sum01[c] ?? 0) - (n[c] ?? 0) * auc
            s10 += a * a; s01 += b * b; s11 += a * b
        }
        let i10 = Double(m.count), i01 = Double(n.count)
        let variance = i10 / (i10 - 1) * s10 / bigM / bigM + i01 / (i01 - 1) * s01 / bigN / bigN
            + 2 * count / (count - 1) * s11 / (bigM * bigN)
        return variance >= 0 ? variance.squareRoot() : nil
    }

    /// Youden's J over the distinct observed values c. "greater": positive test when value > c;
    /// "less": when value ≤ c. J is compared exactly through its integer numerator
    /// TP·n₀ + TN·n₁ (J = that / (n₁n₀) − 1); among equal J the higher specificity (TN) wins,
    /// which is the largest c for "greater" and the smallest for "less" (Docs/COHORT.md).
    static func youden(values: [Double], positive: [Bool], direction: Direction,
                       positives: Int, negatives: Int) -> (cutoff: Double, sensitivity: Double, specificity: Double) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        // Sweep ascending: after the group of value c, positivesAtOrBelow / negativesAtOrBelow count rows ≤ c.
        var positivesAtOrBelow = 0, negativesAtOrBelow = 0
        var best: (score: Int, trueNegatives: Int, cutoff: Double, truePositives: Int)? = nil
        var start = 0
        while start < order.count {
            let c = values[order[start]]
            var end = start
            while end < order.count && values[order[end]] == c {
                if positive[order[end]] { positivesAtOrBelow += 1 } else { negativesAtOrBelow += 1 }
                end += 1
            }
            let truePositives: Int, trueNegatives: Int
            switch direction {
            case .greater:
                truePositives = positives - positivesAtOrBelow
                trueNegatives = negativesAtOrBelow
            case .less:
                truePositives = positivesAtOrBelow
                trueNegatives = negatives - negativesAtOrBelow
            }
            let score = truePositives * negatives + trueNegatives * positives
            if best.map({ (score, trueNegatives) > ($0.score, $0.trueNegatives) }) ?? true {
                best = (score, trueNegatives, c, truePositives)
            }
            start = end
        }
        let chosen = best!
        return (chosen.cutoff, Double(chosen.truePositives) / Double(positives), Double(chosen.trueNegatives) / Double(negatives))
    }
}
