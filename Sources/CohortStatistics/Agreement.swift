/// Agreement between two measurements of the same quantity (a predicted and a delivered lesion
/// dose, say), paired by case.
///
/// - Bland–Altman: the differences d = y − x (the second minus the first), their mean, their
///   sample SD (n − 1) and the 95 % limits of agreement mean ± 1.959964·SD (Bland & Altman,
///   Lancet 1986;1:307–310).
/// - Lin's concordance correlation coefficient ρc = 2·s_xy / (s_x² + s_y² + (x̄ − ȳ)²), with the
///   population (1/n) moments of Lin's definition (Lin, Biometrics 1989;45:255–268): 1 only when
///   every pair lies on the line y = x.
/// - Pearson's r = s_xy / (s_x·s_y).
///
/// Figures that a sample cannot give (an SD from one pair, a correlation without spread) are NaN,
/// which the JSON writer prints as null.
public struct AgreementSummary: Equatable, Sendable {
    public var n: Int
    public var meanDifference: Double
    /// Sample SD of the differences (n − 1).
    public var sdDifference: Double
    public var limitsOfAgreement: (low: Double, high: Double)
    public var linCCC: Double
    public var pearsonR: Double

    public static func == (a: AgreementSummary, b: AgreementSummary) -> Bool {
        func same(_ x: Double, _ y: Double) -> Bool { x == y || (x.isNaN && y.isNaN) }
        return a.n == b.n && same(a.meanDifference, b.meanDifference) && same(a.sdDifference, b.sdDifference)
            && same(a.limitsOfAgreement.low, b.limitsOfAgreement.low) && same(a.limitsOfAgreement.high, b.limitsOfAgreement.high)
            && same(a.linCCC, b.linCCC) && same(a.pearsonR, b.pearsonR)
    }

    /// - Parameters: `first` (x) and `second` (y), paired, of equal length.
    public init(first x: [Double], second y: [Double]) {
        precondition(x.count == y.count, "agreement needs paired values")
        let n = x.count
        self.n = n
        guard n > 0 else {
            meanDifference = .nan; sdDifference = .nan; limitsOfAgreement = (.nan, .nan); linCCC = .nan; pearsonR = .nan
            return
        }
        let count = Double(n)
        let differences = zip(x, y).map { $1 - $0 }
        let meanD = differences.reduce(0, +) / count
        let sd = n > 1 ? (differences.reduce(0) { $0 + ($1 - meanD) * ($1 - meanD) } / (count - 1)).squareRoot() : .nan
        let z = NormalDistribution.z95
        meanDifference = meanD
        sdDifference = sd
        limitsOfAgreement = (meanD - z * sd, meanD + z * sd)
        let mx = x.reduce(0, +) / count, my = y.reduce(0, +) / count
        var sxx = 0.0, syy = 0.0, sxy = 0.0
        for (a, b) in zip(x, y) {
            sxx += (a - mx) * (a - mx)
            syy += (b - my) * (b - my)
            sxy += (a - mx) * (b - my)
        }
        sxx /= count; syy /= count; sxy /= count
        let denominator = sxx + syy + (mx - my) * (mx - my)
        linCCC = denominator > 0 ? 2 * sxy / denominator : .nan
        pearsonR = sxx > 0 && syy > 0 ? sxy / (sxx * syy).squareRoot() : .nan
    }
}
