/// The Cholesky factorisation A = L Lᵀ of a small dense symmetric positive-definite matrix
/// (row-major `[[Double]]`), with solves and the inverse. Used for the logistic information
/// matrix XᵀWX.
struct Cholesky {
    /// L, lower triangular, row-major.
    private(set) var lower: [[Double]]

    /// Factorises `a` (only the lower triangle is read). Nil when a pivot aⱼⱼ − Σₖ Lⱼₖ² is not
    /// above `relativeTolerance`·aⱼⱼ: for a Gram matrix that pivot over the diagonal is
    /// 1 − R² of column j on the columns before it, so nil means the columns are linearly
    /// dependent to within that tolerance (or a column is zero).
    init?(_ a: [[Double]], relativeTolerance: Double = 1e-10) {
        let n = a.count
        var l = [[Double]](repeating: [Double](repeating: 0, count: n), count: n)
        for j in 0..<n {
            var pivot = a[j][j]
            for k in 0..<j { pivot -= l[j][k] * l[j][k] }
            guard a[j][j] > 0, pivot > relativeTolerance * a[j][j], pivot.isFinite else { return nil }
            let root = pivot.squareRoot()
            l[j][j] = root
            for i in (j + 1)..<n {
                var sum = a[i][j]
                for k in 0..<j { sum -= l[i][k] * l[j][k] }
                l[i][j] = sum / root
            }
        }
        lower = l
    }

    /// x with A x = b: forward substitution L y = b, then back substitution Lᵀ x = y.
    func solve(_ b: [Double]) -> [Double] {
        let n = lower.count
        var y = b
        for i in 0..<n {
            for k in 0..<i { y[i] -= lower[i][k] * y[k] }
            y[i] /= lower[i][i]
        }
        for i in stride(from: n - 1, through: 0, by: -1) {
            for k in (i + 1)..<n { y[i] -= lower[k][i] * y[k] }
            y[i] /= lower[i][i]
        }
        return y
    }

    /// A⁻¹, column by column from the unit vectors, symmetrised.
    func inverse() -> [[Double]] {
        let n = lower.count
        var inverse = (0..<n).map { j in solve((0..<n).map { $0 == j ? 1 : 0 }) }
        for i in 0..<n {
            for j in 0..<i {
                let mean = (inverse[i][j] + inverse[j][i]) / 2
                inverse[i][j] = mean
                inverse[j][i] = mean
            }
        }
        return inverse
    }
}
