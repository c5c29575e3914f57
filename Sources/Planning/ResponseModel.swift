import Foundation

/// A logistic response model, P(response) = σ(η), η = Σ coefficientᵢ · termᵢ, with the
/// covariance of the coefficients (REFERENCE.md §4; `voxdose.model/1`, Docs/COHORT.md).
///
/// Term names are lesion-table columns as the CSV spells them (`dose_mean_gy`, `t_bp`,
/// `hypoxic` as 0/1, …); `intercept` is 1.
public struct ResponseModel: Sendable, Equatable {
    public var termOrder: [String]
    public var coefficients: [Double]
    /// Covariance of the coefficients, in ``termOrder``.
    public var covariance: [[Double]]
    /// Where the model comes from (a file, or the built-in derivation).
    public var source: String

    /// The term whose value ``doseNeeded(target:terms:)`` solves for.
    public static let doseTerm = "dose_mean_gy"
    /// z for a two-sided 95 % interval.
    public static let z95 = 1.959964

    public init(termOrder: [String], coefficients: [Double], covariance: [[Double]], source: String) {
        self.termOrder = termOrder
        self.coefficients = coefficients
        self.covariance = covariance
        self.source = source
    }

    /// A prediction: P = σ(η) and the 95 % interval σ(η ± 1.959964 · SE(η)), with
    /// SE(η)² = xᵀ Σ x for the term vector x and the covariance Σ.
    public struct Prediction: Sendable, Equatable {
        public var probability: Double
        public var ci95: (low: Double, high: Double)
        public static func == (a: Self, b: Self) -> Bool {
            a.probability == b.probability && a.ci95 == b.ci95
        }
    }

    /// The terms the model needs that `values` lacks (`intercept` is never missing).
    public func missingTerms(_ values: [String: Double]) -> [String] {
        termOrder.filter { $0 != "intercept" && values[$0] == nil }
    }

    /// The prediction for one lesion's term values; nil when a term is missing.
    public func predict(_ values: [String: Double]) -> Prediction? {
        guard missingTerms(values).isEmpty else { return nil }
        let x = termOrder.map { $0 == "intercept" ? 1 : values[$0]! }
        let eta = zip(coefficients, x).reduce(0) { $0 + $1.0 * $1.1 }
        var variance = 0.0
        for i in x.indices { for j in x.indices { variance += x[i] * covariance[i][j] * x[j] } }
        let se = max(variance, 0).squareRoot()
        return Prediction(probability: Self.sigmoid(eta),
                          ci95: (Self.sigmoid(eta - Self.z95 * se), Self.sigmoid(eta + Self.z95 * se)))
    }

    /// Why no dose needed can be given.
    public enum NoDose: Error, Equatable {
        case missingTerms([String])
        case noDoseTerm
        /// The model's dose coefficient is ≤ 0 and the target is not reached at 0 Gy.
        case unreachable
    }

    /// The smallest Dmean ≥ 0 (Gy) at which P reaches `target` for this lesion's other terms:
    /// D = (logit P* − η_other) / b_dose (REFERENCE.md §4), 0 when it is reached at 0 Gy.
    public func doseNeeded(target: Double, terms values: [String: Double]) -> Result<Double, NoDose> {
        guard let doseIndex = termOrder.firstIndex(of: Self.doseTerm) else { return .failure(.noDoseTerm) }
        var others = values
        others[Self.doseTerm] = 0
        let missing = missingTerms(others)
        guard missing.isEmpty else { return .failure(.missingTerms(missing)) }
        let etaAtZero = zip(termOrder, coefficients).reduce(0) { $0 + $1.1 * ($1.0 == "intercept" ? 1 : others[$1.0]!) }
        let goal = log(target / (1 - target))
        if etaAtZero >= goal { return .success(0) }
        let slope = coefficients[doseIndex]
        guard slope > 0 else { return .failure(.unreachable) }
        return .success((goal - etaAtZero) / slope)
    }

    /// The logistic function 1 / (1 + e^(−x)), without overflow for large |x|.
    public static func sigmoid(_ x: Double) -> Double {
        x >= 0 ? 1 / (1 + exp(-x)) : exp(x) / (1 + exp(x))
    }
}
