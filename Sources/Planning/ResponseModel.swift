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

    /// Another way the figures a built-in model was derived from could have come about (the
    /// default model's scenarios, Docs/PLANNING.md): the same terms, other coefficients.
    public struct Scenario: Sendable, Equatable {
        public var name: String
        /// In the model's term order.
        public var coefficients: [Double]
        public init(name: String, coefficients: [Double]) {
            self.name = name
            self.coefficients = coefficients
        }
    }

    /// The scenarios of a model derived from published figures; empty for a fitted model, which
    /// then has no ranges.
    public let scenarios: [Scenario]
    /// The models of the scenarios (``scenarios``' coefficients on this model's terms).
    private let scenarioModels: [LogisticModel]
    /// The variance inflation of η for lesions clustered in patients, deff ≥ 1: the standard error
    /// of η is multiplied by √deff. 1 for a fitted model (fitted with `cohort --cluster`, its
    /// covariance already carries the clustering).
    public let designEffect: Double

    public init(_ logistic: LogisticModel, scenarios: [Scenario] = [], designEffect: Double = 1) {
        precondition(designEffect >= 1 && scenarios.allSatisfy { $0.coefficients.count == logistic.termOrder.count })
        self.logistic = logistic
        self.scenarios = scenarios
        self.designEffect = designEffect
        scenarioModels = scenarios.map {
            try! LogisticModel(outcome: logistic.outcome, positive: logistic.positive, termOrder: logistic.termOrder,
                               coefficients: $0.coefficients, covariance: logistic.covariance, n: logistic.n, source: $0.name)
        }
    }

    public static func == (a: Self, b: Self) -> Bool {
        a.logistic == b.logistic && a.scenarios == b.scenarios && a.designEffect == b.designEffect
    }

    /// Where the model comes from (a file, or the built-in derivation).
    public var source: String { logistic.source }

    /// A prediction: P = σ(η) and the 95 % interval σ(η ± 1.959964 · SE(η)), with
    /// SE(η)² = deff · xᵀ Σ x for the term vector x, the covariance Σ and the design effect.
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
        guard let eta = logistic.linearPredictor(for: values), let se = logistic.linearPredictorStandardError(for: values) else { return nil }
        let wide = NormalDistribution.z95 * se * designEffect.squareRoot()
        return Prediction(probability: LogisticRegression.logistic(eta),
                          ci95: (LogisticRegression.logistic(eta - wide), LogisticRegression.logistic(eta + wide)))
    }

    /// The lowest and highest P over this model and its scenarios; nil without scenarios or when a
    /// term is missing.
    public func responseRange(_ values: [String: Double]) -> (low: Double, high: Double)? {
        guard !scenarios.isEmpty else { return nil }
        let all = ([logistic] + scenarioModels).compactMap { $0.probability(for: values) }
        guard all.count == scenarios.count + 1 else { return nil }  // a term missing
        return (all.min()!, all.max()!)
    }

    /// The smallest and largest dose needed over this model and its scenarios; `high` nil when a
    /// scenario never reaches the target. Nil without scenarios or when no dose can be solved for.
    public func doseNeededRange(target: Double, terms values: [String: Double]) -> (low: Double, high: Double?)? {
        guard !scenarios.isEmpty else { return nil }
        var doses: [Double] = [], unreachable = false
        for model in [self] + scenarioModels.map({ ResponseModel($0) }) {
            switch model.doseNeeded(target: target, terms: values) {
            case .success(let d): doses.append(d)
            case .failure(.unreachable): unreachable = true
            case .failure: return nil
            }
        }
        guard let low = doses.min() else { return nil }
        return (low, unreachable ? nil : doses.max())
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
