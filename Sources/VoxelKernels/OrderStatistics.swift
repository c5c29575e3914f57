/// Exact order statistics and percentiles by selection (no histograms, no full sort).
public enum OrderStatistics {
    /// Percentiles of `values` by linear interpolation between order statistics — numpy's
    /// default (`method="linear"`): with n values sorted as v₀ ≤ … ≤ vₙ₋₁ and h = (n − 1)·q/100,
    /// P(q) = v⌊h⌋ + (h − ⌊h⌋)·(v⌊h⌋₊₁ − v⌊h⌋), evaluated as numpy's `_lerp` does (from the
    /// upper neighbour when the fraction is ≥ 0.5) so results match numpy to the last bit.
    ///
    /// - Parameters:
    ///   - values: finite values; reordered in place (partially partitioned).
    ///   - percentiles: q values in [0, 100].
    /// - Returns: one value per requested q, in the order given; empty input gives NaN.
    /// - Complexity: expected O(n · m) for m distinct ranks (quickselect on shrinking suffixes).
    public static func percentiles(_ values: inout UnsafeMutableBufferPointer<Float>,
                                   _ percentiles: [Double]) -> [Double] {
        let n = values.count
        guard n > 0 else { return percentiles.map { _ in .nan } }
        var needed: [Int: Double] = [:]
        let plans = percentiles.map { q -> (Int, Int, Double) in
            let h = (q / 100) * Double(n - 1)
            let lower = min(max(Int(h.rounded(.down)), 0), n - 1)
            let upper = min(lower + 1, n - 1)
            needed[lower] = .nan
            needed[upper] = .nan
            return (lower, upper, h - Double(lower))
        }
        var start = 0
        for rank in needed.keys.sorted() {
            select(&values, rank: rank, from: start)
            needed[rank] = Double(values[rank])
            start = rank
        }
        return plans.map { lower, upper, t in
            let a = needed[lower]!, b = needed[upper]!
            let diff = b - a
            return t >= 0.5 ? b - diff * (1 - t) : a + diff * t
        }
    }

    /// Reorders `values[from...]` so that `values[rank]` holds the element of that rank in
    /// sorted order, everything before it is ≤ and everything after it is ≥. Requires that
    /// `values[from...]` holds exactly the elements of ranks `from...` (true after a previous
    /// selection of rank `from`). Introselect: Hoare partition around a median of three,
    /// falling back to a full sort of the remaining range after too many rounds.
    public static func select(_ values: inout UnsafeMutableBufferPointer<Float>, rank: Int, from: Int = 0) {
        precondition(rank >= from && rank < values.count)
        var lo = from, hi = values.count - 1
        var budget = 2 * (Int.bitWidth - values.count.leadingZeroBitCount) + 8
        while hi > lo {
            if hi - lo < 16 || budget == 0 {
                var tail = UnsafeMutableBufferPointer(rebasing: values[lo...hi])
                tail.sort()
                return
            }
            budget -= 1
            let mid = lo + (hi - lo) / 2
            if values[mid] < values[lo] { values.swapAt(mid, lo) }
            if values[hi] < values[lo] { values.swapAt(hi, lo) }
            if values[hi] < values[mid] { values.swapAt(hi, mid) }
            let pivot = values[mid]
            var i = lo, j = hi
            while i <= j {
                while values[i] < pivot { i += 1 }
                while values[j] > pivot { j -= 1 }
                if i <= j {
                    values.swapAt(i, j)
                    i += 1
                    j -= 1
                }
            }
            // Now [lo, j] ≤ pivot, [i, hi] ≥ pivot, and (j, i) == pivot.
            if rank <= j { hi = j } else if rank >= i { lo = i } else { return }
        }
    }
}
