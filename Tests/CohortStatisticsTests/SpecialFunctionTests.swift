import Foundation
import Testing
@testable import CohortStatistics

/// Special functions against closed forms, identities and published tables.
@Suite struct SpecialFunctionTests {
    // MARK: ln Γ

    @Test func logGammaOfIntegersIsLogFactorial() {
        for n in 1...25 {
            #expect(near(exp(GammaFunctions.logGamma(Double(n))), factorial(n - 1), rel: 5e-15), "Γ(\(n))")
        }
        // Larger n against the exact sum of logarithms.
        for n in [50, 100, 171, 1000] {
            let logFactorial = (1..<n).reduce(0.0) { $0 + log(Double($1)) }
            #expect(near(GammaFunctions.logGamma(Double(n)), logFactorial, rel: 1e-13), "ln Γ(\(n))")
        }
    }

    @Test func logGammaAtHalfIntegers() {
        // Γ(½) = √π; Γ(n + ½) = (2n)! √π / (4ⁿ n!) (DLMF 5.4.6).
        #expect(near(GammaFunctions.logGamma(0.5), 0.5 * log(Double.pi), rel: 0, abs: 5e-15))
        for n in 1...10 {
            let expected = factorial(2 * n) * Double.pi.squareRoot() / (pow(4, Double(n)) * factorial(n))
            #expect(near(exp(GammaFunctions.logGamma(Double(n) + 0.5)), expected, rel: 5e-15), "Γ(\(n).5)")
        }
    }

    @Test func logGammaTableValues() {
        // Abramowitz & Stegun, Table 6.1 (Γ(x), 1 ≤ x ≤ 2, 10 decimals).
        let table: [(Double, Double)] = [(1.10, 0.9513507699), (1.25, 0.9064024771), (1.50, 0.8862269255),
                                         (1.75, 0.9190625268), (1.90, 0.9617658319)]
        for (x, gamma) in table {
            #expect(near(exp(GammaFunctions.logGamma(x)), gamma, rel: 0, abs: 6e-11), "Γ(\(x))")
        }
        // Recurrence Γ(x + 1) = x Γ(x) across the switch to Stirling's series at 10, and tiny x
        // where Γ(x) ≈ 1/x.
        for x in [0.001, 0.3, 2.7, 9.2, 9.999, 10.5, 33.3] {
            #expect(near(GammaFunctions.logGamma(x + 1), GammaFunctions.logGamma(x) + log(x), rel: 0, abs: 1e-13), "x = \(x)")
        }
        #expect(near(GammaFunctions.logGamma(1e-10), -log(1e-10), rel: 1e-9))
        #expect(GammaFunctions.logGamma(0).isNaN && GammaFunctions.logGamma(-1).isNaN)
    }

    // MARK: Incomplete gamma

    @Test func incompleteGammaClosedForms() {
        for x in [0.01, 0.5, 1, 2.5, 7, 20, 60] {
            // P(1, x) = 1 − e⁻ˣ; Q(1, x) = e⁻ˣ.
            #expect(near(GammaFunctions.regularizedGammaQ(1, x), exp(-x), rel: 1e-14), "Q(1, \(x))")
            #expect(near(GammaFunctions.regularizedGammaP(1, x), -expm1(-x), rel: 1e-14), "P(1, \(x))")
            // P(½, x) = erf √x, Q(½, x) = erfc √x (DLMF 8.4.1).
            #expect(near(GammaFunctions.regularizedGammaP(0.5, x), erf(x.squareRoot()), rel: 1e-14), "P(½, \(x))")
            #expect(near(GammaFunctions.regularizedGammaQ(0.5, x), erfc(x.squareRoot()), rel: 1e-13), "Q(½, \(x))")
            // Integer a: Q(n, x) = e⁻ˣ Σₖ₌₀ⁿ⁻¹ xᵏ/k! (the Poisson distribution function, DLMF 8.4.10).
            for n in [2, 5, 12] {
                let poisson = (0..<n).reduce(0.0) { $0 + pow(x, Double($1)) / factorial($1) } * exp(-x)
                #expect(near(GammaFunctions.regularizedGammaQ(Double(n), x), poisson, rel: 1e-13), "Q(\(n), \(x))")
                #expect(near(GammaFunctions.regularizedGammaP(Double(n), x) + poisson, 1, rel: 1e-14))
            }
        }
        #expect(GammaFunctions.regularizedGammaP(2, 0) == 0 && GammaFunctions.regularizedGammaQ(2, 0) == 1)
        #expect(GammaFunctions.regularizedGammaP(0, 1).isNaN && GammaFunctions.regularizedGammaQ(1, -1).isNaN)
    }

    // MARK: Incomplete beta

    @Test func incompleteBetaClosedForms() {
        for x in stride(from: 0.0, through: 1.0, by: 0.05) {
            #expect(near(BetaFunctions.regularizedIncompleteBeta(x, 1, 1), x, rel: 1e-14, abs: 1e-16), "I_\(x)(1, 1)")
            for a in [0.5, 2, 7.5] {
                // Iₓ(a, 1) = xᵃ; Iₓ(1, b) = 1 − (1 − x)ᵇ.
                #expect(near(BetaFunctions.regularizedIncompleteBeta(x, a, 1), pow(x, a), rel: 1e-13, abs: 1e-16))
                #expect(near(BetaFunctions.regularizedIncompleteBeta(x, 1, a), 1 - pow(1 - x, a), rel: 1e-13, abs: 1e-16))
            }
        }
        // I_½(a, a) = ½ by symmetry (accuracy degrades slowly with a + b, as documented).
        for (a, tolerance) in [(0.3, 1e-13), (1, 1e-13), (4, 1e-13), (25, 1e-13), (200, 1e-11)] {
            #expect(near(BetaFunctions.regularizedIncompleteBeta(0.5, a, a), 0.5, rel: tolerance), "a = \(a)")
        }
    }

    @Test func incompleteBetaSymmetryAndBinomialSums() {
        // Iₓ(a, b) = 1 − I₁₋ₓ(b, a) (DLMF 8.17.4).
        for (a, b) in [(0.5, 3.0), (2.5, 3.5), (10, 1.5), (40, 60)] {
            for x in [0.01, 0.2, 0.45, 0.7, 0.99] {
                let sum = BetaFunctions.regularizedIncompleteBeta(x, a, b) + BetaFunctions.regularizedIncompleteBeta(1 - x, b, a)
                #expect(near(sum, 1, rel: 1e-13), "a \(a) b \(b) x \(x)")
            }
        }
        // I_p(k, n − k + 1) = P(Binomial(n, p) ≥ k) (DLMF 8.17.5), summed term by term.
        for n in [1, 6, 20] {
            for p in [0.05, 0.3, 0.5, 0.9] {
                for k in 1...n {
                    let tail = (k...n).reduce(0.0) { $0 + binomial(n, $1) * pow(p, Double($1)) * pow(1 - p, Double(n - $1)) }
                    #expect(near(BetaFunctions.regularizedIncompleteBeta(p, Double(k), Double(n - k + 1)), tail, rel: 1e-12, abs: 1e-300),
                            "n \(n) p \(p) k \(k)")
                }
            }
        }
        #expect(BetaFunctions.regularizedIncompleteBeta(-0.1, 2, 3) == 0 && BetaFunctions.regularizedIncompleteBeta(1.1, 2, 3) == 1)
        #expect(BetaFunctions.regularizedIncompleteBeta(0.5, 0, 3).isNaN)
    }

    // MARK: Normal

    @Test func normalTableValues() {
        // Abramowitz & Stegun, Table 26.1 (P(x) to 15 decimals).
        for (z, p) in [(1.0, 0.841344746068543), (2.0, 0.977249868051821), (3.0, 0.998650101968370)] {
            #expect(near(NormalDistribution.cdf(z), p, rel: 0, abs: 1e-15), "Φ(\(z))")
            #expect(near(NormalDistribution.sf(-z), p, rel: 0, abs: 1e-15))
            #expect(near(NormalDistribution.cdf(-z), 1 - p, rel: 1e-13), "Φ(−\(z))")
        }
        #expect(NormalDistribution.cdf(0) == 0.5 && NormalDistribution.sf(0) == 0.5)
        #expect(near(NormalDistribution.twoSidedP(1.959963984540054), 0.05, rel: 1e-13))
        #expect(NormalDistribution.twoSidedP(0) == 1)
    }

    /// The far tail keeps its relative accuracy: against the asymptotic (Mills ratio) series
    /// 1 − Φ(z) = φ(z)/z · (1 − 1/z² + 3/z⁴ − 15/z⁶ + 105/z⁸ − 945/z¹⁰ + 10395/z¹²) (DLMF 7.12.1),
    /// whose truncation error at z ≥ 20 is below 135135/z¹⁴ < 1e-13.
    @Test func normalFarTail() {
        for z in [20.0, 25, 30, 37] {
            let w = 1 / (z * z)
            let series = 1 + w * (-1 + w * (3 + w * (-15 + w * (105 + w * (-945 + w * 10395)))))
            let expected = NormalDistribution.density(z) / z * series
            #expect(near(NormalDistribution.sf(z), expected, rel: 1e-12), "1 − Φ(\(z))")
            #expect(near(NormalDistribution.cdf(-z), expected, rel: 1e-12))
            #expect(NormalDistribution.sf(z) > 0)
        }
    }

    @Test func normalQuantile() {
        // Φ⁻¹(0.975) = 1.959963984540054 (A&S Table 26.5 gives 1.959963985 to 9 decimals).
        #expect(near(NormalDistribution.quantile(0.975), 1.959963984540054, rel: 1e-14))
        #expect(near(NormalDistribution.quantile(0.025), -1.959963984540054, rel: 1e-14))
        #expect(NormalDistribution.quantile(0.5) == 0)
        #expect(NormalDistribution.quantile(0) == -.infinity && NormalDistribution.quantile(1) == .infinity)
        #expect(NormalDistribution.quantile(-0.1).isNaN && NormalDistribution.quantile(1.5).isNaN)
        // Round trips through Φ in both regions of the approximation and deep in the tail, and
        // exact antisymmetry.
        for p in [1e-300, 1e-100, 1e-20, 1e-10, 0.001, 0.02, 0.02425, 0.03, 0.1, 0.3, 0.4999, 0.5001, 0.7, 0.97, 0.999] {
            let x = NormalDistribution.quantile(p)
            let back = p < 0.5 ? NormalDistribution.cdf(x) : 1 - NormalDistribution.sf(x)
            #expect(near(back, p, rel: 1e-13), "p = \(p)")
            if 1 - (1 - p) == p { #expect(NormalDistribution.quantile(1 - p) == -x, "antisymmetry at \(p)") }
        }
        for p in [1e-300, 1e-100, 1e-20, 1e-10, 0.001, 0.02] {
            #expect(near(NormalDistribution.sf(-NormalDistribution.quantile(p)), p, rel: 1e-13), "upper tail p = \(p)")
        }
    }

    // MARK: χ²

    @Test func chiSquaredClosedForms() {
        for x in [0.001, 0.5, 1, 3.841458820694124, 10, 50, 200] {
            // 1 df: a squared standard normal, sf = erfc(√(x/2)) = 2(1 − Φ(√x)).
            #expect(near(ChiSquaredDistribution.sf(x, degreesOfFreedom: 1), 2 * NormalDistribution.sf(x.squareRoot()), rel: 1e-14))
            // The incomplete-gamma route agrees with erfc for 1 df, far into the tail.
            #expect(near(GammaFunctions.regularizedGammaQ(0.5, x / 2), erfc((x / 2).squareRoot()), rel: 1e-13), "x = \(x)")
            // 2 df: an exponential with mean 2; 4 df: e^(−x/2)(1 + x/2); 3 df: erfc(√(x/2)) + √(2x/π) e^(−x/2).
            #expect(near(ChiSquaredDistribution.sf(x, degreesOfFreedom: 2), exp(-x / 2), rel: 1e-13))
            #expect(near(ChiSquaredDistribution.sf(x, degreesOfFreedom: 4), exp(-x / 2) * (1 + x / 2), rel: 1e-13))
            let three = erfc((x / 2).squareRoot()) + (2 * x / Double.pi).squareRoot() * exp(-x / 2)
            #expect(near(ChiSquaredDistribution.sf(x, degreesOfFreedom: 3), three, rel: 1e-13))
        }
        // The familiar 5 % and 1 % points of χ²₁ (any statistics table: 3.841, 6.635), here to
        // full precision as the squares of Φ⁻¹(0.975) and Φ⁻¹(0.995).
        #expect(near(ChiSquaredDistribution.sf(3.841458820694124, degreesOfFreedom: 1), 0.05, rel: 1e-13))
        #expect(near(ChiSquaredDistribution.sf(6.634896601021214, degreesOfFreedom: 1), 0.01, rel: 1e-13))
        #expect(ChiSquaredDistribution.sf(0, degreesOfFreedom: 1) == 1 && ChiSquaredDistribution.sf(-1, degreesOfFreedom: 3) == 1)
    }
}
