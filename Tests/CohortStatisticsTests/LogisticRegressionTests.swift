import Foundation
import Testing
@testable import CohortStatistics
import TestSupport

/// Rows of a 2×2 table as (x, outcome): a positives and b negatives at x = 1, c positives and
/// d negatives at x = 0.
private func binaryPredictor(a: Int, b: Int, c: Int, d: Int) -> (x: [Double], y: [Bool]) {
    var x: [Double] = [], y: [Bool] = []
    for (value, positives, negatives) in [(1.0, a, b), (0.0, c, d)] {
        x += [Double](repeating: value, count: positives + negatives)
        y += [Bool](repeating: true, count: positives) + [Bool](repeating: false, count: negatives)
    }
    return (x, y)
}

@Suite struct LogisticRegressionTests {
    // MARK: Linear algebra and the linear program

    @Test func choleskySolveAndInverse() throws {
        let a: [[Double]] = [[4, 2, 0.4], [2, 5, 1], [0.4, 1, 3]]
        let factor = try #require(Cholesky(a))
        let x = factor.solve([1, 2, 3])
        for i in 0..<3 { #expect(near(dot(a[i], x), Double(i + 1), rel: 1e-14)) }
        let inverse = factor.inverse()
        for i in 0..<3 {
            for j in 0..<3 { #expect(near(dot(a[i], inverse.map { $0[j] }), i == j ? 1 : 0, rel: 0, abs: 1e-15)) }
        }
        #expect(Cholesky([[1, 2], [2, 4]]) == nil)      // rank 1
        #expect(Cholesky([[0, 0], [0, 1]]) == nil)      // zero column
        #expect(Cholesky([[1, 1], [1, 1 + 1e-12]]) == nil)  // 1 − R² = 1e-12, below 1e-10
    }

    /// max 3x + 2y s.t. x + y ≤ 4, x + 3y ≤ 6, x ≤ 3: the optimum is the vertex (3, 1), value 11.
    @Test func linearProgramTextbook() throws {
        let solution = try #require(LinearProgram.maximize(c: [3, 2], a: [[1, 1], [1, 3], [1, 0]], b: [4, 6, 3]))
        #expect(near(solution.value, 11, rel: 1e-14) && near(solution.x[0], 3, rel: 1e-14) && near(solution.x[1], 1, rel: 1e-14))
        // Unbounded: max x with −x + y ≤ 1.
        #expect(LinearProgram.maximize(c: [1, 0], a: [[-1, 1]], b: [1]) == nil)
        // Degenerate start (b = 0 rows) with an optimum of 0 at the origin: max x + y s.t. x − y ≤ 0, y − x ≤ 0, x + y ≤ 0.
        let degenerate = try #require(LinearProgram.maximize(c: [1, 1], a: [[1, -1], [-1, 1], [1, 1]], b: [0, 0, 0]))
        #expect(degenerate.value == 0)
    }

    // MARK: Separation

    @Test func completeSeparation() {
        let design = [1.0, 2, 3, 4, 5, 6].map { [1, $0] }
        let outcome = [false, false, false, true, true, true]
        guard case .separated(let beta) = SeparationCheck.check(design: design, outcome: outcome) else {
            Issue.record("not detected"); return
        }
        // The certificate separates: (2y − 1)·xβ ≥ 0 everywhere.
        for (row, y) in zip(design, outcome) { #expect((y ? 1 : -1) * dot(row, beta) >= -1e-12) }
        let fit = LogisticRegression.fit(predictors: [("x", [1, 2, 3, 4, 5, 6])], outcome: outcome)
        #expect(fit.separation && !fit.converged && fit.terms == nil && fit.coefficients == nil)
        // Reversed direction too.
        #expect(LogisticRegression.fit(predictors: [("x", [1, 2, 3, 4, 5, 6])], outcome: outcome.reversed()).separation)
    }

    /// Positives ≥ 3, negatives ≤ 3, both at 3: no β separates strictly, but β = (−3, 1) does
    /// weakly — quasi-complete separation.
    @Test func quasiCompleteSeparation() {
        let x: [Double] = [1, 2, 3, 3, 4, 5]
        let y = [false, false, false, true, true, true]
        #expect(LogisticRegression.fit(predictors: [("x", x)], outcome: y).separation)
        // An empty cell of a 2×2 table (no negatives at x = 1) is quasi-complete separation.
        let table = binaryPredictor(a: 5, b: 0, c: 3, d: 4)
        #expect(LogisticRegression.fit(predictors: [("x", table.x)], outcome: table.y).separation)
        // Values at the cut-off of a real scale, 89 Gy.
        #expect(LogisticRegression.fit(predictors: [("dose", [40, 60, 89, 89, 120, 150])], outcome: y).separation)
    }

    /// Two predictors, each overlapping on its own, whose sum separates (with ties on the line
    /// x₁ + x₂ = 5): only a multivariable check finds it.
    @Test func multivariableQuasiCompleteSeparation() {
        let x1: [Double] = [1, 4, 2, 0, 3, 5, 2, 4]
        let x2: [Double] = [1, 0, 3, 5, 2, 1, 4, 3]
        let y = zip(x1, x2).enumerated().map { i, pair in pair.0 + pair.1 > 5 || (pair.0 + pair.1 == 5 && i % 2 == 0) }
        #expect(y.contains(true) && y.contains(false))
        #expect(!LogisticRegression.fit(predictors: [("x1", x1)], outcome: y).separation)
        #expect(!LogisticRegression.fit(predictors: [("x2", x2)], outcome: y).separation)
        let both = LogisticRegression.fit(predictors: [("x1", x1), ("x2", x2)], outcome: y)
        #expect(both.separation && both.terms == nil)
    }

    /// Overlapping data never fire, even when one row alone spoils the separation (and the
    /// estimate is large).
    @Test func separationNeverFiresOnOverlap() throws {
        let x: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 0.5]
        let y = [false, false, false, false, false, true, true, true, true, true, true]
        let fit = LogisticRegression.fit(predictors: [("x", x)], outcome: y)
        #expect(!fit.separation && fit.converged)
        #expect(try #require(fit.coefficients)[1] > 0)
    }

    /// With one predictor, separation has an independent exact test: max of one class ≤ min of
    /// the other, and not every value equal (then every margin is 0). Random small samples on a
    /// coarse grid (many ties at the boundary).
    @Test func separationMatchesOneDimensionalCriterion() {
        var rng = SplitMix64(seed: 11)
        var seen = (separated: 0, overlapping: 0)
        for trial in 0..<400 {
            let n = Int.random(in: 2...12, using: &rng)
            let x = (0..<n).map { _ in Double(Int.random(in: 0...6, using: &rng)) }
            var y = (0..<n).map { _ in Bool.random(using: &rng) }
            y[0] = true
            y[1] = false
            let positives = zip(x, y).filter { $0.1 }.map(\.0), negatives = zip(x, y).filter { !$0.1 }.map(\.0)
            let expected = (negatives.max()! <= positives.min()! || positives.max()! <= negatives.min()!) && Set(x).count > 1
            let verdict = SeparationCheck.check(design: x.map { [1, $0] }, outcome: y)
            #expect((verdict != .notSeparated) == expected, "trial \(trial): x \(x) y \(y)")
            if expected { seen.separated += 1 } else { seen.overlapping += 1 }
        }
        #expect(seen.separated > 50 && seen.overlapping > 50)
    }

    /// Several predictors. Labels from the sign of a linear score are separated (and the
    /// certificate, checked here on the data, separates); adding the corners of a small cube to
    /// both classes makes every separating β vanish (the corners span the space affinely), so
    /// those data are never flagged and the fit converges.
    @Test func separationInSeveralDimensions() throws {
        var rng = SplitMix64(seed: 42)
        for trial in 0..<150 {
            let n = Int.random(in: 8...60, using: &rng), p = Int.random(in: 1...3, using: &rng)
            var rows = (0..<n).map { _ in [1] + (0..<p).map { _ in (Double.random(in: -2...2, using: &rng) * 10).rounded() / 10 } }
            let beta = [Double.random(in: -0.5...0.5, using: &rng)] + (0..<p).map { _ in Double.random(in: -1...1, using: &rng) }
            var y = rows.map { dot($0, beta) > 0 }
            if y.contains(true) && y.contains(false) {
                guard case .separated(let direction) = SeparationCheck.check(design: rows, outcome: y) else {
                    Issue.record("trial \(trial): separated data missed"); continue
                }
                let margins = zip(rows, y).map { ($1 ? 1 : -1) * dot($0, direction) }
                #expect(margins.allSatisfy { $0 >= -1e-12 } && margins.contains { $0 > 1e-9 }, "trial \(trial)")
            }
            for corner in 0..<(1 << p) {
                let point = [1] + (0..<p).map { corner >> $0 & 1 == 1 ? 0.1 : -0.1 }
                rows += [point, point]
                y += [true, false]
            }
            #expect(SeparationCheck.check(design: rows, outcome: y) == .notSeparated, "trial \(trial): overlapping data flagged")
            let columns = (1...p).map { j in rows.map { $0[j] } }
            let fit = LogisticRegression.fit(predictors: columns.enumerated().map { ("x\($0)", $1) }, outcome: y)
            #expect(fit.converged && fit.iterations <= 25, "trial \(trial): \(fit.status) after \(fit.iterations)")
        }
    }

    // MARK: Singular information

    @Test func constantAndCollinearPredictorsAreSingular() {
        let x: [Double] = [1, 2, 3, 4, 5, 6, 7, 8]
        let y = [false, true, false, true, true, false, true, true]
        let constant = LogisticRegression.fit(predictors: [("x", x), ("c", [Double](repeating: 0.1, count: 8))], outcome: y)
        #expect(constant.status == .singular && !constant.separation && !constant.converged && constant.terms == nil)
        let collinear = LogisticRegression.fit(predictors: [("x", x), ("twice", x.map { 2 * $0 + 3 })], outcome: y)
        #expect(collinear.status == .singular && collinear.terms == nil)
        // Collinear predictors that also separate: separation is reported.
        let separating = LogisticRegression.fit(predictors: [("x", x), ("twice", x.map { 2 * $0 })], outcome: x.map { $0 > 4 })
        #expect(separating.separation)
    }

    // MARK: Estimates

    /// A single binary predictor has a closed-form MLE: the intercept is the log-odds at x = 0,
    /// ln(c/d), the coefficient the log odds ratio ln(ad/bc), with SE √(1/a + 1/b + 1/c + 1/d)
    /// and intercept SE √(1/c + 1/d) (Woolf; the inverse information of the saturated model).
    @Test(arguments: [(12, 5, 4, 9), (3, 7, 8, 2), (20, 20, 10, 30), (1, 1, 1, 1)])
    func binaryPredictorClosedForm(a: Int, b: Int, c: Int, d: Int) throws {
        let table = binaryPredictor(a: a, b: b, c: c, d: d)
        let fit = LogisticRegression.fit(predictors: [("x", table.x)], outcome: table.y)
        #expect(fit.converged && fit.n == a + b + c + d && fit.termNames == ["intercept", "x"])
        let terms = try #require(fit.terms)
        let (A, B, C, D) = (Double(a), Double(b), Double(c), Double(d))
        #expect(near(terms[0].coefficient, log(C / D), rel: 1e-9, abs: 1e-12))
        #expect(near(terms[1].coefficient, log(A * D / (B * C)), rel: 1e-9, abs: 1e-12))
        let se = (1 / A + 1 / B + 1 / C + 1 / D).squareRoot()
        #expect(near(terms[1].standardError, se, rel: 1e-9))
        #expect(near(terms[0].standardError, (1 / C + 1 / D).squareRoot(), rel: 1e-9))
        #expect(near(try #require(fit.covariance)[0][1], -(1 / C + 1 / D), rel: 1e-9))
        #expect(near(terms[1].oddsRatio, A * D / (B * C), rel: 1e-9))
        #expect(near(terms[1].oddsRatioCI95.lower, A * D / (B * C) * exp(-1.959964 * se), rel: 1e-9))
        #expect(near(terms[1].oddsRatioCI95.upper, A * D / (B * C) * exp(1.959964 * se), rel: 1e-9))
        let z = log(A * D / (B * C)) / se
        #expect(near(terms[1].z, z, rel: 1e-9, abs: 1e-12))
        #expect(near(terms[1].p, erfc(abs(z) / 2.0.squareRoot()), rel: 1e-8))
    }

    /// At the estimate the score equations Xᵀ(y − p) = 0 hold, the covariance is the inverse
    /// of XᵀWX in the original units, and rescaling a predictor rescales its coefficient only.
    @Test func scoreEquationsAndInvariance() throws {
        var rng = SplitMix64(seed: 7)
        let n = 120
        let dose = (0..<n).map { _ in Double.random(in: 20...200, using: &rng) }
        let ratio = (0..<n).map { _ in Double.random(in: 0.8...2.5, using: &rng) }
        let y = (0..<n).map { i in Double.random(in: 0...1, using: &rng) < LogisticRegression.logistic(-2 + 0.03 * dose[i] - 1.2 * ratio[i]) }
        let fit = LogisticRegression.fit(predictors: [("dose", dose), ("ratio", ratio)], outcome: y)
        #expect(fit.converged && fit.iterations < 15)
        let beta = try #require(fit.coefficients), covariance = try #require(fit.covariance)
        let rows = (0..<n).map { [1, dose[$0], ratio[$0]] }
        let p = rows.map { LogisticRegression.logistic(dot($0, beta)) }
        for j in 0..<3 {
            let score = (0..<n).reduce(0.0) { $0 + rows[$1][j] * ((y[$1] ? 1 : 0) - p[$1]) }
            let scale = (0..<n).reduce(0.0) { $0 + abs(rows[$1][j]) }
            #expect(abs(score) < 1e-10 * scale, "score \(j) = \(score)")
        }
        let information = LogisticRegression.gram(rows, weights: p.map { $0 * (1 - $0) })
        for i in 0..<3 {
            for j in 0..<3 {
                #expect(near(dot(information[i], covariance.map { $0[j] }), i == j ? 1 : 0, rel: 0, abs: 1e-9))
            }
        }
        let rescaled = LogisticRegression.fit(predictors: [("dose", dose.map { $0 / 100 + 7 }), ("ratio", ratio)], outcome: y)
        let terms = try #require(fit.terms), rescaledTerms = try #require(rescaled.terms)
        #expect(near(rescaledTerms[1].coefficient, terms[1].coefficient * 100, rel: 1e-9))
        #expect(near(rescaledTerms[1].z, terms[1].z, rel: 1e-9) && near(rescaledTerms[2].coefficient, terms[2].coefficient, rel: 1e-9))
        #expect(near(try #require(rescaled.logLikelihood), try #require(fit.logLikelihood), rel: 1e-12))
    }

    @Test func interceptOnly() throws {
        let fit = LogisticRegression.fit(predictors: [], outcome: [true, false, false, true, true])
        let terms = try #require(fit.terms)
        #expect(terms.count == 1 && near(terms[0].coefficient, log(1.5), rel: 1e-10))
        #expect(near(terms[0].standardError, (1 / 3.0 + 1 / 2.0).squareRoot(), rel: 1e-10))
    }
}
