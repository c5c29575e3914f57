import Foundation

/// The χ² distribution.
public enum ChiSquaredDistribution {
    /// Survival function P(χ²ₖ > x) = Q(k/2, x/2) (the regularized upper incomplete gamma
    /// function; 1 for x ≤ 0). With 1 degree of freedom it is computed as erfc(√(x/2)), the
    /// same quantity (a χ²₁ variable is a squared standard normal), accurate far into the tail.
    public static func sf(_ x: Double, degreesOfFreedom k: Double) -> Double {
        guard k > 0, !x.isNaN else { return .nan }
        if x <= 0 { return 1 }
        if k == 1 { return erfc((x / 2).squareRoot()) }
        return GammaFunctions.regularizedGammaQ(k / 2, x / 2)
    }
}
