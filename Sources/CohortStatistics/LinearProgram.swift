/// A small dense linear program solved by the simplex method in dictionary form (Chvátal,
/// Linear Programming, 1983, ch. 2–3) with Bland's rule, so it terminates on degenerate
/// problems. Used by the separation check.
struct LinearProgram {
    /// The optimum, or nil when the problem is unbounded or the pivot limit is reached.
    struct Solution {
        var value: Double
        var x: [Double]
    }

    /// Maximises cᵀx subject to A x ≤ b and x ≥ 0, where b ≥ 0 so that x = 0 is a feasible
    /// starting vertex (no phase 1). The dictionary holds one row per constraint and one column
    /// per original variable: O(m·n) memory, O(m·n) per pivot. Entering variable: the
    /// lowest-numbered one whose reduced cost exceeds `tolerance`·max(1, max|c|); leaving
    /// variable: the minimum ratio bᵣ / −dᵣⱼ over rows with dᵣⱼ < −`tolerance`, ties to the
    /// lowest-numbered basic variable (Bland 1977).
    static func maximize(c: [Double], a: [[Double]], b: [Double], tolerance: Double = 1e-12,
                         pivotLimit: Int? = nil) -> Solution? {
        let n = c.count, m = a.count
        precondition(b.count == m && a.allSatisfy { $0.count == n } && b.allSatisfy { $0 >= 0 }, "A x ≤ b with b ≥ 0")
        // basicᵣ = constantsᵣ + Σⱼ rowsᵣⱼ · nonbasicⱼ; z = objectiveConstant + Σⱼ objectiveⱼ · nonbasicⱼ.
        var rows = a.map { $0.map { -$0 } }
        var constants = b
        var objective = c
        var objectiveConstant = 0.0
        // Variable numbers: 0..<n the original variables, n + r the slack of row r.
        var nonbasic = Array(0..<n)
        var basic = Array(n..<(n + m))
        let costTolerance = tolerance * max(1, c.map(abs).max() ?? 0)
        let limit = pivotLimit ?? 50 * (m + n) + 1000

        for _ in 0..<limit {
            var entering: Int? = nil
            for j in 0..<n where objective[j] > costTolerance {
                if entering.map({ nonbasic[j] < nonbasic[$0] }) ?? true { entering = j }
            }
            guard let j = entering else {
                var x = [Double](repeating: 0, count: n)
                for (r, variable) in basic.enumerated() where variable < n { x[variable] = max(0, constants[r]) }
                return Solution(value: objectiveConstant, x: x)
            }
            var leaving: Int? = nil
            var bestRatio = Double.infinity
            for r in 0..<m where rows[r][j] < -tolerance {
                let ratio = max(0, constants[r]) / -rows[r][j]
                if ratio < bestRatio || (ratio == bestRatio && leaving.map { basic[r] < basic[$0] } == true) {
                    bestRatio = ratio
                    leaving = r
                }
            }
            guard let r = leaving else { return nil }  // unbounded

            // Solve row r for the entering variable; the leaving one takes its column.
            let pivot = rows[r][j]
            var pivotRow = rows[r].map { -$0 / pivot }
            pivotRow[j] = 1 / pivot
            let pivotConstant = -max(0, constants[r]) / pivot
            rows[r] = pivotRow
            constants[r] = pivotConstant
            for i in 0..<m where i != r {
                let factor = rows[i][j]
                if factor == 0 { continue }
                constants[i] += factor * pivotConstant
                for k in 0..<n { rows[i][k] = k == j ? factor * pivotRow[j] : rows[i][k] + factor * pivotRow[k] }
            }
            let factor = objective[j]
            objectiveConstant += factor * pivotConstant
            for k in 0..<n { objective[k] = k == j ? factor * pivotRow[j] : objective[k] + factor * pivotRow[k] }
            swap(&basic[r], &nonbasic[j])
        }
        return nil
    }
}
