import Foundation

/// The standard normal distribution.
public enum NormalDistribution {
    /// √(2π).
    static let sqrtTwoPi = 2.506_628_274_631_000_502_415_765_284_811
    /// The two-sided 95 % quantile the contract uses for every interval (Φ⁻¹(0.975) ≈ 1.959963985).
    public static let z95 = 1.959964

    /// The density φ(z) = e^(−z²/2) / √(2π).
    public static func density(_ z: Double) -> Double { exp(-0.5 * z * z) / sqrtTwoPi }

    /// Φ(z) = ½ erfc(−z/√2) (DLMF 7.17.2 with 7.2.2): accurate to the relative precision of erfc
    /// in the lower tail (no 1 − ½erfc cancellation).
    public static func cdf(_ z: Double) -> Double { 0.5 * erfc(-z / 2.0.squareRoot()) }

    /// The survival function 1 − Φ(z) = ½ erfc(z/√2), computed directly so that the far upper
    /// tail keeps its relative accuracy (1 − Φ(10) ≈ 7.6e-24, not 0).
    public static func sf(_ z: Double) -> Double { 0.5 * erfc(z / 2.0.squareRoot()) }

    /// Two-sided p-value of a standard normal statistic: 2·(1 − Φ(|z|)), capped at 1.
    public static func twoSidedP(_ z: Double) -> Double { min(1, 2 * sf(abs(z))) }

    /// Φ⁻¹(p): the quantile (−∞ at 0, +∞ at 1, NaN outside [0, 1]).
    ///
    /// Acklam's rational approximation (relative error < 1.15e-9; central region
    /// 0.02425 ≤ p ≤ 0.97575, tails through q = √(−2 ln p)), then one Halley step on
    /// Φ(x) − p using erfc (Acklam's refinement), which brings the error to the accuracy of erfc
    /// (~1e-15 relative) for p ≥ 1e-300. Upper-half probabilities use Φ⁻¹(p) = −Φ⁻¹(1 − p), where
    /// 1 − p is exact for p ≥ ½, so the function is antisymmetric to the last bit.
    public static func quantile(_ p: Double) -> Double {
        guard p >= 0, p <= 1 else { return .nan }
        if p == 0 { return -.infinity }
        if p == 1 { return .infinity }
        return p < 0.5 ? lowerHalfQuantile(p) : -lowerHalfQuantile(1 - p)
    }

    /// Φ⁻¹(p) for 0 < p ≤ ½.
    private static func lowerHalfQuantile(_ p: Double) -> Double {
        if p == 0.5 { return 0 }
        let a = [-3.969683028665376e+01, 2.209460984245205e+02, -2.759285104469687e+02,
                 1.383577518672690e+02, -3.066479806614716e+01, 2.506628277459239e+00]
        let b = [-5.447609879822406e+01, 1.615858368580409e+02, -1.556989798598866e+02,
                 6.680131188771972e+01, -1.328068155288572e+01]
        let c = [-7.784894002430293e-03, -3.223964580411365e-01, -2.400758277161838e+00,
                 -2.549732539343734e+00, 4.374664141464968e+00, 2.938163982698783e+00]
        let d = [7.784695709041462e-03, 3.224671290700398e-01, 2.445134137142996e+00,
                 3.754408661907416e+00]
        var x: Double
        if p < 0.02425 {
            let q = (-2 * log(p)).squareRoot()
            x = (((((c[0] * q + c[1]) * q + c[2]) * q + c[3]) * q + c[4]) * q + c[5])
                / ((((d[0] * q + d[1]) * q + d[2]) * q + d[3]) * q + 1)
        } else {
            let q = p - 0.5, r = q * q
            x = (((((a[0] * r + a[1]) * r + a[2]) * r + a[3]) * r + a[4]) * r + a[5]) * q
                / (((((b[0] * r + b[1]) * r + b[2]) * r + b[3]) * r + b[4]) * r + 1)
        }
        guard p >= 1e-300 else { return x }
        // Halley: u = (Φ(x) − p)/φ(x); x ← x − u / (1 + x·u/2).
        let u = (cdf(x) - p) / density(x)
        x -= u / (1 + 0.5 * x * u)
        return x
    }
}
