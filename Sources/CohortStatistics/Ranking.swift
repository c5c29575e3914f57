/// Ranks with ties, the building block of the rank statistics (AUC, DeLong, Mann–Whitney).
public enum Ranking {
    /// Midranks of `values` (1-based; tied values share the mean of the ranks they span) and the
    /// sizes of the tie groups, in ascending order of value. O(n log n). Values must not be NaN.
    public static func midranks(_ values: [Double]) -> (ranks: [Double], tieSizes: [Int]) {
        let order = values.indices.sorted { values[$0] < values[$1] }
        var ranks = [Double](repeating: 0, count: values.count)
        var tieSizes: [Int] = []
        var start = 0
        while start < order.count {
            var end = start + 1
            while end < order.count && values[order[end]] == values[order[start]] { end += 1 }
            // Positions start…end−1 hold ranks start+1…end; their mean is (start + 1 + end) / 2.
            let midrank = Double(start + 1 + end) / 2
            for position in start..<end { ranks[order[position]] = midrank }
            tieSizes.append(end - start)
            start = end
        }
        return (ranks, tieSizes)
    }
}

/// The ranks of a two-sample comparison (positive rows against negative rows), shared by the
/// ROC analysis and the Mann–Whitney test.
struct TwoSampleRanks {
    /// Combined midranks, in row order.
    var combined: [Double]
    /// Midranks within the row's own group, in row order.
    var withinGroup: [Double]
    var tieSizes: [Int]
    var positives: Int
    var negatives: Int
    /// The positive rows' Mann–Whitney U = Σ combined ranks of positives − n₁(n₁ + 1)/2
    /// = #{pairs with x₊ > x₋} + ½ #{ties}. Exact: midranks are multiples of ½.
    var u: Double

    init(values: [Double], positive: [Bool]) {
        precondition(values.count == positive.count, "one outcome per value")
        let (combined, tieSizes) = Ranking.midranks(values)
        let positiveIndices = positive.indices.filter { positive[$0] }
        let negativeIndices = positive.indices.filter { !positive[$0] }
        var withinGroup = [Double](repeating: 0, count: values.count)
        for group in [positiveIndices, negativeIndices] {
            let ranks = Ranking.midranks(group.map { values[$0] }).ranks
            for (index, rank) in zip(group, ranks) { withinGroup[index] = rank }
        }
        self.combined = combined
        self.withinGroup = withinGroup
        self.tieSizes = tieSizes
        positives = positiveIndices.count
        negatives = negativeIndices.count
        let n1 = Double(positives)
        u = positiveIndices.reduce(0.0) { $0 + combined[$1] } - n1 * (n1 + 1) / 2
    }
}
