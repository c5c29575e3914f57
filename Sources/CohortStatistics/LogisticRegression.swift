import Foundation

/// One logistic regression fit: P(positive) = σ(β₀ + Σ βⱼ xⱼ) (Docs/COHORT.md, "Logistic regression").
public struct LogisticFit: Sendable {
    public enum Status: String, Sendable {
        /// Newton–Raphson converged to the maximum likelihood estimate.
        case converged
        /// Complete or quasi-complete separation: the estimate does not exist.
        case separated
        /// The information matrix is singular (a constant predictor, collinear predictors).
        case singular
        /// No convergence within the iteration limit (the last estimate is kept).
        case notConverged
    }

    /// One coefficient with its Wald statistics.
    public struct Term: Sendable, Equatable {
        public var name: String
        public var coefficient: Double
        public var standardError: Double
        /// coef / SE.
        public var z: Double
        /// Two-sided, from the normal distribution.
        public var p: Double
        /// e^coef.
        public var oddsRatio: Double
        /// e^(coef ± 1.959964·SE).
        public var oddsRatioCI95: (lower: Double, upper: Double)

        /// Every field equal (the interval compared as a pair).
        public static func == (a: Term, b: Term) -> Bool {
            a.name == b.name && a.coefficient == b.coefficient && a.standardError == b.standardError && a.z == b.z
                && a.p == b.p && a.oddsRatio == b.oddsRatio && a.oddsRatioCI95 == b.oddsRatioCI95
        }
    }

    /// `intercept`, then the predictors in the order given.
    public var termNames: [String]
    /// Rows used.
    public var n: Int
    public var status: Status
    /// Newton iterations taken.
    public var iterations: Int
    /// β in `termNames` order; nil when separated or singular.
    public var coefficients: [Double]?
    /// The inverse information matrix (XᵀWX)⁻¹ at β, in `termNames` order; nil with `coefficients`.
    public var covariance: [[Double]]?
    /// Σ yᵢηᵢ − ln(1 + e^ηᵢ) at β; nil with `coefficients`.
    public var logLikelihood: Double?
    /// For categorical predictors among the terms: each column's reference level (the level
    /// without an indicator term). Set by ``CohortAnalysis``.
    public var referenceLevels: [(column: String, level: String)] = []

    public var converged: Bool { status == .converged }
    public var separation: Bool { status == .separated }

    /// The coefficients with SE, Wald z, p, odds ratio and its interval; nil when there is no estimate.
    public var terms: [Term]? {
        guard let coefficients, let covariance else { return nil }
        return termNames.indices.map { j in
            let coefficient = coefficients[j], se = covariance[j][j].squareRoot()
            let z = coefficient / se
            return Term(name: termNames[j], coefficient: coefficient, standardError: se, z: z,
                        p: NormalDistribution.twoSidedP(z), oddsRatio: exp(coefficient),
                        oddsRatioCI95: (exp(coefficient - NormalDistribution.z95 * se), exp(coefficient + NormalDistribution.z95 * se)))
        }
    }
}

/// Maximum likelihood logistic regression by Newton–Raphson.
public enum LogisticRegression {
    /// The name of the constant term.
    public static let interceptName = "intercept"

    /// Fits P(positive) = σ(β₀ + Σⱼ βⱼ xⱼ) to finite predictor columns (each as long as `outcome`).
    ///
    /// 1. The predictors are centred and scaled (xⱼ − mⱼ)/sⱼ (sample mean and SD; a constant
    ///    column becomes a zero column). This is a reparametrisation with the same column space,
    ///    so it changes neither separation nor the fitted probabilities, and it makes the
    ///    information matrix well conditioned.
    /// 2. Separation is decided exactly by ``SeparationCheck`` (a linear program): `.separated`.
    /// 3. A zero column, or a Gram matrix ZᵀZ whose Cholesky factorisation finds a column whose
    ///    1 − R² on the others is ≤ 1e-10: `.singular`.
    /// 4. Newton–Raphson from β = 0: β ← β + t·(ZᵀWZ)⁻¹Zᵀ(y − p), W = diag(pᵢ(1 − pᵢ)),
    ///    solved by Cholesky; t = 1, halved (up to 50 times) while the log-likelihood would
    ///    drop by more than its rounding (1e-12 relative). Converged when the Newton step moves
    ///    no standardized coefficient by more than 1e-8·max(1, |β′ⱼ|); that step is then taken,
    ///    and since Newton converges quadratically the estimate is exact to ~1e-16; at most
    ///    `maxIterations` steps.
    /// 5. Covariance = (ZᵀWZ)⁻¹ at the estimate — or, with `clusters`, the cluster-robust
    ///    (sandwich) covariance c·B⁻¹(Σ_g s_g s_gᵀ)B⁻¹, B = ZᵀWZ, s_g = Σ_{i∈g} zᵢ(yᵢ − pᵢ) the
    ///    score of cluster g, c = G/(G−1)·(N−1)/(N−K) the small-sample factor (G clusters, N rows,
    ///    K terms; Liang & Zeger 1986; statsmodels' `cov_type="cluster"`) — mapped back to the
    ///    original units with β = Tβ′, Σ = TΣ′Tᵀ (β₀ = β′₀ − Σ β′ⱼmⱼ/sⱼ, βⱼ = β′ⱼ/sⱼ).
    /// - Parameter clusters: one cluster id per row (a patient), or nil for independent rows.
    public static func fit(predictors: [(name: String, values: [Double])], outcome: [Bool],
                           clusters: [Int]? = nil, maxIterations: Int = 100) -> LogisticFit {
        let n = outcome.count, p = predictors.count + 1
        precondition(predictors.allSatisfy { $0.values.count == n }, "one value per row")
        var fit = LogisticFit(termNames: [interceptName] + predictors.map(\.name), n: n, status: .singular, iterations: 0)

        // 1. Standardized design Z (row-major) and the map back.
        var means = [Double](repeating: 0, count: p), scales = [Double](repeating: 1, count: p)
        var constant = [Bool](repeating: false, count: p)
        for (j, predictor) in predictors.enumerated() {
            let values = predictor.values
            guard let low = values.min(), let high = values.max(), low < high, n > 1 else { constant[j + 1] = true; continue }
            let mean = values.reduce(0, +) / Double(n)
            let variance = values.reduce(0) { $0 + ($1 - mean) * ($1 - mean) } / Double(n - 1)
            means[j + 1] = mean
            scales[j + 1] = variance.squareRoot()
        }
        let design: [[Double]] = (0..<n).map { i in
            [1] + predictors.indices.map { j in constant[j + 1] ? 0 : (predictors[j].values[i] - means[j + 1]) / scales[j + 1] }
        }

        // 2. Separation.
        switch SeparationCheck.check(design: design, outcome: outcome) {
        case .separated:
            fit.status = .separated
            return fit
        case .notSeparated, .undetermined:
            break
        }

        // 3. Rank.
        guard n > 0, !constant.contains(true), Cholesky(gram(design, weights: nil)) != nil else { return fit }

        // 4. Newton–Raphson.
        let y = outcome.map { $0 ? 1.0 : 0.0 }
        var beta = [Double](repeating: 0, count: p)
        var logLikelihood = Self.logLikelihood(design, y, beta)
        var status = LogisticFit.Status.notConverged
        var iterations = 0
        newton: while iterations < maxIterations {
            iterations += 1
            let eta = design.map { dot($0, beta) }
            let probability = eta.map(logistic)
            var gradient = [Double](repeating: 0, count: p)
            for i in 0..<n { for j in 0..<p { gradient[j] += design[i][j] * (y[i] - probability[i]) } }
            guard let factor = Cholesky(gram(design, weights: probability.map { $0 * (1 - $0) })) else {
                status = .singular
                break
            }
            let step = factor.solve(gradient)
            if zip(step, beta).allSatisfy({ abs($0) <= 1e-8 * max(1, abs($1)) }) {
                beta = zip(beta, step).map { $0 + $1 }
                logLikelihood = Self.logLikelihood(design, y, beta)
                status = .converged
                break
            }
            var t = 1.0
            for _ in 0...50 {
                let candidate = zip(beta, step).map { $0 + t * $1 }
                let candidateLogLikelihood = Self.logLikelihood(design, y, candidate)
                if candidateLogLikelihood >= logLikelihood - 1e-12 * (1 + abs(logLikelihood)) {
                    beta = candidate
                    logLikelihood = candidateLogLikelihood
                    continue newton
                }
                t /= 2
            }
            // No step length keeps the log-likelihood from dropping: a numerical failure.
            break
        }
        fit.iterations = iterations
        if status == .singular { return fit }

        // 5. Covariance at the estimate, mapped back to the original units.
        let probability = design.map { logistic(dot($0, beta)) }
        guard let information = Cholesky(gram(design, weights: probability.map { $0 * (1 - $0) })) else { return fit }
        var standardizedCovariance = information.inverse()
        if let clusters {
            standardizedCovariance = sandwich(bread: standardizedCovariance, design: design, residuals: zip(y, probability).map { $0 - $1 },
                                              clusters: clusters)
        }
        // T: row 0 = (1, −m₁/s₁, …), row j = e_j / s_j.
        var transform = [[Double]](repeating: [Double](repeating: 0, count: p), count: p)
        transform[0][0] = 1
        for j in 1..<p {
            transform[0][j] = -means[j] / scales[j]
            transform[j][j] = 1 / scales[j]
        }
        fit.coefficients = transform.map { dot($0, beta) }
        let left = transform.map { row in (0..<p).map { k in (0..<p).reduce(0) { $0 + row[$1] * standardizedCovariance[$1][k] } } }
        var covariance = left.map { row in transform.map { dot(row, $0) } }
        for i in 0..<p {
            for j in 0..<i {
                let mean = (covariance[i][j] + covariance[j][i]) / 2
                covariance[i][j] = mean
                covariance[j][i] = mean
            }
        }
        fit.covariance = covariance
        fit.logLikelihood = logLikelihood
        fit.status = status
        return fit
    }

    /// The cluster-robust covariance c·B⁻¹MB⁻¹ (see ``fit(predictors:outcome:clusters:maxIterations:)``, step 5).
    static func sandwich(bread: [[Double]], design: [[Double]], residuals: [Double], clusters: [Int]) -> [[Double]] {
        let p = bread.count, n = design.count
        var scores: [Int: [Double]] = [:]
        for i in 0..<n {
            var s = scores[clusters[i]] ?? [Double](repeating: 0, count: p)
            for j in 0..<p { s[j] += design[i][j] * residuals[i] }
            scores[clusters[i]] = s
        }
        var meat = [[Double]](repeating: [Double](repeating: 0, count: p), count: p)
        for s in scores.values { for a in 0..<p { for b in 0..<p { meat[a][b] += s[a] * s[b] } } }
        let g = Double(scores.count), rows = Double(n), k = Double(p)
        let factor = g > 1 && rows > k ? g / (g - 1) * (rows - 1) / (rows - k) : .nan
        let left = bread.map { row in (0..<p).map { b in (0..<p).reduce(0) { $0 + row[$1] * meat[$1][b] } } }
        return left.map { row in (0..<p).map { b in factor * (0..<p).reduce(0) { $0 + row[$1] * bread[$1][b] } } }
    }

    /// σ(η) = 1 / (1 + e^−η), evaluated without overflow on either side.
    public static func logistic(_ eta: Double) -> Double {
        eta >= 0 ? 1 / (1 + exp(-eta)) : exp(eta) / (1 + exp(eta))
    }

    /// Σ yᵢηᵢ − ln(1 + e^ηᵢ), with ln(1 + e^η) = max(η, 0) + ln(1 + e^−|η|).
    static func logLikelihood(_ design: [[Double]], _ y: [Double], _ beta: [Double]) -> Double {
        zip(design, y).reduce(0) { sum, row in
            let eta = dot(row.0, beta)
            return sum + row.1 * eta - (max(eta, 0) + log1p(exp(-abs(eta))))
        }
    }

    /// ZᵀWZ (W = I when `weights` is nil).
    static func gram(_ design: [[Double]], weights: [Double]?) -> [[Double]] {
        let p = design.first?.count ?? 0
        var result = [[Double]](repeating: [Double](repeating: 0, count: p), count: p)
        for (i, row) in design.enumerated() {
            let w = weights?[i] ?? 1
            for j in 0..<p { for k in 0...j { result[j][k] += w * row[j] * row[k] } }
        }
        for j in 0..<p { for k in 0..<j { result[k][j] = result[j][k] } }
        return result
    }
}

func dot(_ a: [Double], _ b: [Double]) -> Double {
    zip(a, b).reduce(0) { $0 + $1.0 * $1.1 }
}
