import CohortStatistics
import Foundation

/// The response model of a plan: a logistic model P(response) = σ(η), η = Σ coefficientᵢ ·
/// termᵢ, with the covariance of its coefficients (REFERENCE.md §4; `voxdose.model/1`,
/// Docs/COHORT.md), and the dose a lesion needs under it.
///
/// Term names are lesion-table columns as the CSV spells them (`dose_mean_gy`, `t_bp`,
/// `hypoxic` as 0/1, …); `intercept` is 1.
public struct ResponseModel: Sendable, Equatable {
    public var logistic: LogisticModel

    /// The term whose value ``doseNeeded(target:terms:)`` solves for.
    public static let doseTerm = "dose_mean_gy"

    public init(_ logistic: LogisticModel) { self.logistic = logistic }

    /// Where the model comes from (a file, or the built-in derivation).
    public var source: String { logistic.source }

    /// A prediction: P = σ(η) and the 95 % interval σ(η ± 1.959964 · SE(η)), with
    /// SE(η)² = xᵀ Σ x for the term vector x and the covariance Σ.
    public struct Prediction: Sendable, Equatable {
        public var probability: Double
        public var ci95: (low: Double, high: Double)
        public static func == (a: Self, b: Self) -> Bool { a.probability == b.probability && a.ci95 == b.ci95 }
    }

    /// The terms the model needs that `values` lacks (`intercept` is never missing).
    public func missingTerms(_ values: [String: Double]) -> [String] {
        logistic.requiredTerms.filter { values[$0] == nil }
    }

    /// The prediction for one lesion's term values; nil when a term is missing.
    public func predict(_ values: [String: Double]) -> Prediction? {
        guard let p = logistic.probability(for: values), let ci = logistic.probabilityInterval95(for: values) else { return nil }
        return Prediction(probability: p, ci95: (ci.lower, ci.upper))
    }

    /// Why no dose needed can be given.
    public enum NoDose: Error, Equatable {
        case missingTerms([String])
        case noDoseTerm
        /// The model's dose coefficient is ≤ 0 and the target is not reached at 0 Gy.
        case unreachable
    }

    /// The smallest Dmean ≥ 0 (Gy) at which P reaches `target` for this lesion's other terms:
    /// D = (logit P* − η₀) / b_dose, η₀ the linear predictor at 0 Gy (REFERENCE.md §4); 0 when
    /// the target is reached at 0 Gy — also by a model without a dose term (CONTRACT.md), which
    /// otherwise has no dose to solve for.
    public func doseNeeded(target: Double, terms values: [String: Double]) -> Result<Double, NoDose> {
        var atZero = values
        atZero[Self.doseTerm] = 0
        guard let eta0 = logistic.linearPredictor(for: atZero) else { return .failure(.missingTerms(missingTerms(atZero))) }
        let goal = log(target / (1 - target))
        if eta0 >= goal { return .success(0) }
        // η is linear in the dose (an interaction dose:x adds its coefficient·x to the slope).
        guard logistic.termOrder.contains(where: { LogisticModel.factors(of: $0).contains(Self.doseTerm) }) else {
            return .failure(.noDoseTerm)
        }
        var atOne = values
        atOne[Self.doseTerm] = 1
        guard let eta1 = logistic.linearPredictor(for: atOne) else { return .failure(.missingTerms(missingTerms(atOne))) }
        let slope = eta1 - eta0
        guard slope > 0 else { return .failure(.unreachable) }
        return .success((goal - eta0) / slope)
    }
}
