/// Detection of complete and quasi-complete separation in binary regression data, by a linear
/// program (Docs/COHORT.md, "Method").
public enum SeparationCheck {
    public enum Verdict: Equatable, Sendable {
        /// A direction β (in the design's own units) with sᵢ xᵢβ ≥ 0 for every row and > 0 for at
        /// least one, sᵢ = +1 for a positive row and −1 for a negative one.
        case separated(direction: [Double])
        case notSeparated
        /// The simplex hit its pivot limit (not seen in practice).
        case undetermined
    }

    /// Margins below this (on the scaled problem, |β|₁ ≤ 1 and every |xᵢⱼ| ≤ 1) count as zero.
    public static let marginTolerance = 1e-9

    /// Whether some β ≠ 0 has (2yᵢ − 1)·xᵢβ ≥ 0 for every row i and > 0 for at least one
    /// (Albert & Anderson, Biometrika 1984: then the maximum likelihood estimate does not exist).
    ///
    /// The question is the linear program (after Konis, 2007)
    ///   maximise Σᵢ sᵢ xᵢβ  subject to  sᵢ xᵢβ ≥ 0 for every i,  Σⱼ |βⱼ| ≤ 1,
    /// whose optimum is 0 exactly when the data are not separated (β = 0 is always feasible and
    /// any feasible β with a positive margin makes the objective positive). Columns are first
    /// scaled by their largest |xᵢⱼ| (β's scale changes, the answer does not), β is split as
    /// β⁺ − β⁻ ≥ 0, and the problem goes to ``LinearProgram`` from the vertex β = 0. A positive
    /// optimum is accepted only with its certificate checked on the data: every scaled margin
    /// ≥ −`marginTolerance` and the largest > `marginTolerance`. `design` holds one row per
    /// observation (include the intercept column).
    public static func check(design: [[Double]], outcome: [Bool]) -> Verdict {
        precondition(design.count == outcome.count, "one outcome per row")
        guard let p = design.first?.count, p > 0 else { return .notSeparated }
        var scales = [Double](repeating: 0, count: p)
        for row in design { for j in 0..<p { scales[j] = max(scales[j], abs(row[j])) } }
        scales = scales.map { $0 > 0 ? $0 : 1 }
        let signed = zip(design, outcome).map { row, positive in (0..<p).map { (positive ? 1 : -1) * row[$0] / scales[$0] } }

        // Variables (β⁺, β⁻); rows −aᵢβ⁺ + aᵢβ⁻ ≤ 0 and Σβ⁺ + Σβ⁻ ≤ 1.
        var c = [Double](repeating: 0, count: p)
        for a in signed { for j in 0..<p { c[j] += a[j] } }
        var constraints = signed.map { a in a.map { -$0 } + a }
        constraints.append([Double](repeating: 1, count: 2 * p))
        let bounds = [Double](repeating: 0, count: signed.count) + [1]
        guard let solution = LinearProgram.maximize(c: c + c.map { -$0 }, a: constraints, b: bounds) else { return .undetermined }

        let beta = (0..<p).map { solution.x[$0] - solution.x[p + $0] }
        let margins = signed.map { a in zip(a, beta).reduce(0) { $0 + $1.0 * $1.1 } }
        guard solution.value > marginTolerance, let smallest = margins.min(), let largest = margins.max(),
              smallest >= -marginTolerance, largest > marginTolerance else { return .notSeparated }
        return .separated(direction: zip(beta, scales).map { $0 / $1 })
    }
}
