import Foundation

/// The gamma function's logarithm and the regularized incomplete gamma functions.
public enum GammaFunctions {
    /// ln √(2π).
    static let halfLogTwoPi = 0.918_938_533_204_672_741_780_329_736_405_6

    /// ln Γ(x) for x > 0 (NaN for x ≤ 0 or NaN, +∞ for +∞).
    ///
    /// For x < 10 the recurrence Γ(x) = Γ(x + k) / (x (x + 1) ⋯ (x + k − 1)) moves the argument to
    /// z = x + k ≥ 10, where Stirling's series (DLMF 5.11.1)
    /// ln Γ(z) = (z − ½) ln z − z + ½ ln 2π + Σₖ B₂ₖ / (2k (2k − 1) z²ᵏ⁻¹), k = 1…8,
    /// is summed with the Bernoulli numbers B₂…B₁₆. The first omitted term is below 2·10⁻¹⁸ at
    /// z = 10, so the error is rounding: relative ≤ 1e-15 for x ≥ 10, absolute ≤ 5e-15 below
    /// (near the zeros at 1 and 2 the relative error of ln Γ itself is larger; Γ = e^lnΓ keeps
    /// a relative error ≤ 5e-15).
    public static func logGamma(_ x: Double) -> Double {
        guard x > 0 else { return .nan }
        guard x.isFinite else { return x }
        var z = x
        var product = 1.0
        while z < 10 {
            product *= z
            z += 1
        }
        let inverse = 1 / z, inverseSquared = inverse * inverse
        // B₂ₖ / (2k (2k − 1)): 1/12, −1/360, 1/1260, −1/1680, 1/1188, −691/360360, 1/156, −3617/122400.
        var series = -3617.0 / 122_400
        series = series * inverseSquared + 1.0 / 156
        series = series * inverseSquared - 691.0 / 360_360
        series = series * inverseSquared + 1.0 / 1188
        series = series * inverseSquared - 1.0 / 1680
        series = series * inverseSquared + 1.0 / 1260
        series = series * inverseSquared - 1.0 / 360
        series = series * inverseSquared + 1.0 / 12
        let stirling = (z - 0.5) * log(z) - z + halfLogTwoPi + series * inverse
        return product == 1 ? stirling : stirling - log(product)
    }

    /// The regularized lower incomplete gamma function P(a, x) = γ(a, x) / Γ(a), a > 0, x ≥ 0.
    ///
    /// Series P = e⁻ˣ xᵃ / Γ(a + 1) · Σₙ xⁿ / ((a + 1)⋯(a + n)) (DLMF 8.7.1) when x < a + 1, else
    /// 1 − Q with Q from its continued fraction (see ``regularizedGammaQ(_:_:)``). Both are summed
    /// to machine precision; the prefactor e^(a ln x − x − ln Γ(a)) carries a relative error of
    /// about ε·a·|ln x|, so results are good to ~1e-14 for a ≤ 100 and degrade slowly beyond.
    /// NaN outside the domain.
    public static func regularizedGammaP(_ a: Double, _ x: Double) -> Double {
        guard a > 0, x >= 0, a.isFinite, !x.isNaN else { return .nan }
        if x == 0 { return 0 }
        if x == .infinity { return 1 }
        return x < a + 1 ? lowerSeries(a, x) : 1 - upperContinuedFraction(a, x)
    }

    /// The regularized upper incomplete gamma function Q(a, x) = Γ(a, x) / Γ(a) = 1 − P(a, x).
    ///
    /// For x ≥ a + 1, Legendre's continued fraction (DLMF 8.9.2)
    /// Q = e⁻ˣ xᵃ / Γ(a) · 1 / (x + 1 − a − 1·(1 − a) / (x + 3 − a − 2·(2 − a) / (x + 5 − a − ⋯)))
    /// evaluated by the modified Lentz method, so far-tail values keep their relative accuracy
    /// (no 1 − P cancellation); for x < a + 1, 1 − P from the series. Accuracy as for
    /// ``regularizedGammaP(_:_:)``.
    public static func regularizedGammaQ(_ a: Double, _ x: Double) -> Double {
        guard a > 0, x >= 0, a.isFinite, !x.isNaN else { return .nan }
        if x == 0 { return 1 }
        if x == .infinity { return 0 }
        return x < a + 1 ? 1 - lowerSeries(a, x) : upperContinuedFraction(a, x)
    }

    private static func lowerSeries(_ a: Double, _ x: Double) -> Double {
        var denominator = a
        var term = 1 / a
        var sum = term
        for _ in 0..<100_000 {
            denominator += 1
            term *= x / denominator
            sum += term
            if abs(term) < abs(sum) * Double.ulpOfOne { break }
        }
        return min(1, sum * exp(a * log(x) - x - logGamma(a)))
    }

    private static func upperContinuedFraction(_ a: Double, _ x: Double) -> Double {
        let tiny = Double.leastNormalMagnitude / Double.ulpOfOne
        var b = x + 1 - a
        var c = 1 / tiny
        var d = 1 / b
        var h = d
        for i in 1..<100_000 {
            let an = -Double(i) * (Double(i) - a)
            b += 2
            d = an * d + b
            if abs(d) < tiny { d = tiny }
            c = b + an / c
            if abs(c) < tiny { c = tiny }
            d = 1 / d
            let delta = d * c
            h *= delta
            if abs(delta - 1) <= Double.ulpOfOne { break }
        }
        return min(1, exp(a * log(x) - x - logGamma(a)) * h)
    }
}
