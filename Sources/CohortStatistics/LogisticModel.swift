import Foundation

/// A fitted logistic response model, P(positive) = σ(Σ coefficient·term) with `intercept` = 1,
/// and its coefficient covariance: what `voxdose cohort --fit` writes and `voxdose plan --model`
/// reads (`voxdose.model/1`, Docs/COHORT.md, "The model file").
public struct LogisticModel: Equatable, Sendable {
    public static let schema = "voxdose.model/1"

    /// The outcome column the model predicts.
    public var outcome: String
    /// The outcome value counted as positive (nil when the file does not say).
    public var positive: OutcomeValue?
    /// Term names in the order of `coefficients` and `covariance`.
    public let termOrder: [String]
    public let coefficients: [Double]
    /// Covariance of the coefficients, termOrder × termOrder.
    public let covariance: [[Double]]
    /// Rows the model was fitted on.
    public var n: Int
    /// Where it came from (the cohort table's path).
    public var source: String
    /// Each categorical column's reference level (the level without an indicator term
    /// `COLUMN=LEVEL`); empty when the model has no categorical term.
    public var referenceLevels: [String: String] = [:]

    /// A model from its parts; throws ``CohortError`` unless the names are distinct and
    /// non-empty, there is one finite coefficient per term, and the covariance is a finite,
    /// symmetric (to 1e-8 relative) termOrder × termOrder matrix with a non-negative diagonal.
    public init(outcome: String, positive: OutcomeValue?, termOrder: [String], coefficients: [Double],
                covariance: [[Double]], n: Int, source: String) throws {
        let p = termOrder.count
        guard p > 0 else { throw CohortError("a model needs at least one term") }
        if let empty = termOrder.firstIndex(where: \.isEmpty) { throw CohortError("term_order[\(empty)] is an empty name") }
        guard Set(termOrder).count == p else {
            let twice = termOrder.first { name in termOrder.filter { $0 == name }.count > 1 }!
            throw CohortError("term_order names \"\(twice)\" twice")
        }
        guard coefficients.count == p else {
            throw CohortError("\(coefficients.count) coefficients for \(p) terms in term_order")
        }
        if let j = coefficients.firstIndex(where: { !$0.isFinite }) {
            throw CohortError("the coefficient of \"\(termOrder[j])\" is not a finite number")
        }
        guard covariance.count == p, covariance.allSatisfy({ $0.count == p }) else {
            let shape = covariance.map { String($0.count) }.joined(separator: ", ")
            throw CohortError("covariance must be a \(p)×\(p) matrix in term_order (\(termOrder.joined(separator: ", "))); "
                + "it has \(covariance.count) rows of [\(shape)] entries")
        }
        for i in 0..<p {
            for j in 0..<p where !covariance[i][j].isFinite {
                throw CohortError("covariance[\(i)][\(j)] is not a finite number")
            }
            guard covariance[i][i] >= 0 else {
                throw CohortError("covariance[\(i)][\(i)], the variance of \"\(termOrder[i])\", is negative")
            }
            for j in 0..<i {
                let a = covariance[i][j], b = covariance[j][i]
                guard abs(a - b) <= 1e-8 * max(abs(a), abs(b), (covariance[i][i] * covariance[j][j]).squareRoot()) else {
                    throw CohortError("covariance is not symmetric: [\(i)][\(j)] = \(a) but [\(j)][\(i)] = \(b)")
                }
            }
        }
        guard n >= 0 else { throw CohortError("n must not be negative") }
        self.outcome = outcome
        self.positive = positive
        self.termOrder = termOrder
        self.coefficients = coefficients
        self.covariance = covariance
        self.n = n
        self.source = source
    }

    /// Coefficients by term name.
    public var terms: [String: Double] { Dictionary(uniqueKeysWithValues: zip(termOrder, coefficients)) }

    /// The coefficient of `term`, or nil when the model has no such term.
    public func coefficient(for term: String) -> Double? {
        termOrder.firstIndex(of: term).map { coefficients[$0] }
    }

    /// The terms a prediction needs values for: every term but `intercept`; an interaction
    /// `a:b` needs `a` and `b`.
    public var requiredTerms: [String] {
        var names: [String] = []
        for term in termOrder where term != LogisticRegression.interceptName {
            for part in Self.factors(of: term) where !names.contains(part) { names.append(part) }
        }
        return names
    }

    /// The factors of a term: `a:b` → [a, b] (an interaction); any other term is its own
    /// (an indicator `COLUMN=LEVEL` included, whose value the caller supplies).
    public static func factors(of term: String) -> [String] {
        term.contains("=") ? [term] : term.split(separator: ":").map(String.init)
    }

    /// The value of `term`: from `values`, or for an interaction the product of its factors.
    public static func value(of term: String, in values: [String: Double]) -> Double? {
        if let value = values[term] { return value }
        let parts = factors(of: term)
        guard parts.count > 1 else { return nil }
        var product = 1.0
        for part in parts {
            guard let value = values[part] else { return nil }
            product *= value
        }
        return product
    }

    /// The term vector x (intercept = 1, others from `values`, interactions as products); nil
    /// when a required term is missing or not finite.
    private func termVector(_ values: [String: Double]) -> [Double]? {
        var x: [Double] = []
        for name in termOrder {
            if name == LogisticRegression.interceptName { x.append(1); continue }
            guard let value = Self.value(of: name, in: values), value.isFinite else { return nil }
            x.append(value)
        }
        return x
    }

    /// The linear predictor η = Σ coefficient·term; nil when a required term is missing or not
    /// finite in `values` (keyed by term name; `intercept` is implied).
    public func linearPredictor(for values: [String: Double]) -> Double? {
        termVector(values).map { dot($0, coefficients) }
    }

    /// The standard error of η, √(xᵀ Σ x) with Σ the covariance (the delta method is exact for
    /// the linear predictor); nil as ``linearPredictor(for:)``.
    public func linearPredictorStandardError(for values: [String: Double]) -> Double? {
        guard let x = termVector(values) else { return nil }
        let variance = covariance.indices.reduce(0.0) { sum, i in sum + x[i] * dot(covariance[i], x) }
        return max(0, variance).squareRoot()
    }

    /// P(positive) = σ(η) = 1 / (1 + e^−η); nil as ``linearPredictor(for:)``.
    public func probability(for values: [String: Double]) -> Double? {
        linearPredictor(for: values).map(LogisticRegression.logistic)
    }

    /// σ(η ± 1.959964·SE(η)): the 95 % interval of the probability (CONTRACT.md, `voxdose plan`);
    /// nil as ``linearPredictor(for:)``.
    public func probabilityInterval95(for values: [String: Double]) -> (lower: Double, upper: Double)? {
        guard let eta = linearPredictor(for: values), let se = linearPredictorStandardError(for: values) else { return nil }
        return (LogisticRegression.logistic(eta - NormalDistribution.z95 * se),
                LogisticRegression.logistic(eta + NormalDistribution.z95 * se))
    }
}

// MARK: - The voxdose.model/1 file

extension LogisticModel {
    /// Reads a `voxdose.model/1` file; throws ``CohortError`` naming the file and the problem.
    public static func read(contentsOfFile path: String) throws -> LogisticModel {
        guard let data = FileManager.default.contents(atPath: path) else {
            throw CohortError("\(path): cannot read the model file")
        }
        return try LogisticModel(json: data, source: path)
    }

    /// Parses a `voxdose.model/1` document. `source` names it in errors (the model's own
    /// `source` key is read from the document). Refused: text that is not a JSON object, another
    /// schema, a missing or mistyped key, `terms` that do not match `term_order`, a covariance
    /// that is not term_order × term_order, and any number that is null or not finite.
    public init(json data: Data, source path: String) throws {
        func fail(_ message: String) -> CohortError { CohortError("\(path): \(message)") }
        let decoder = JSONDecoder()
        do {
            guard let schema = try decoder.decode(SchemaOnly.self, from: data).schema else {
                throw fail("not a \(Self.schema) file: no \"schema\" key")
            }
            guard schema == Self.schema else { throw fail("not a \(Self.schema) file: its schema is \"\(schema)\"") }
        } catch let error as DecodingError {
            throw fail("not a \(Self.schema) file: \(Self.describe(error))")
        }
        let file: ModelFile
        do {
            file = try decoder.decode(ModelFile.self, from: data)
        } catch let error as DecodingError {
            throw fail(Self.describe(error))
        }
        var coefficients: [Double] = []
        for name in file.term_order {
            guard let entry = file.terms[name] else {
                throw fail("term_order names \"\(name)\", which is not in terms")
            }
            guard let value = entry else { throw fail("terms.\(name) is null, not a finite number") }
            coefficients.append(value)
        }
        if let extra = file.terms.keys.sorted().first(where: { !file.term_order.contains($0) }) {
            throw fail("terms has \"\(extra)\", which is not in term_order")
        }
        var covariance: [[Double]] = []
        for (i, row) in file.covariance.enumerated() {
            var values: [Double] = []
            for (j, entry) in row.enumerated() {
                guard let value = entry else { throw fail("covariance[\(i)][\(j)] is null, not a finite number") }
                values.append(value)
            }
            covariance.append(values)
        }
        do {
            try self.init(outcome: file.outcome, positive: file.positive?.value, termOrder: file.term_order,
                          coefficients: coefficients, covariance: covariance, n: file.n, source: file.source)
            referenceLevels = file.reference_levels ?? [:]
        } catch let error as CohortError {
            throw fail(error.description)
        }
    }

    private struct SchemaOnly: Decodable {
        var schema: String?
    }

    /// The file's keys as written (snake_case, as the contract spells them).
    private struct ModelFile: Decodable {
        var outcome: String
        var positive: PositiveValue?
        var terms: [String: Double?]
        var term_order: [String]
        var covariance: [[Double?]]
        var n: Int
        var source: String
        var reference_levels: [String: String]?
    }

    private struct PositiveValue: Decodable {
        var value: OutcomeValue
        init(from decoder: Decoder) throws {
            let container = try decoder.singleValueContainer()
            if let flag = try? container.decode(Bool.self) { value = .boolean(flag) }
            else if let number = try? container.decode(Double.self) { value = .number(number) }
            else { value = .text(try container.decode(String.self)) }
        }
    }

    private static func describe(_ error: DecodingError) -> String {
        func path(_ context: DecodingError.Context, _ last: CodingKey? = nil) -> String {
            var text = ""
            for key in context.codingPath + (last.map { [$0] } ?? []) {
                if let index = key.intValue { text += "[\(index)]" } else { text += (text.isEmpty ? "" : ".") + key.stringValue }
            }
            return text.isEmpty ? "the document" : text
        }
        switch error {
        case .keyNotFound(let key, let context): return "the key \"\(path(context, key))\" is missing"
        case .valueNotFound(_, let context): return "\(path(context)) is null"
        case .typeMismatch(let type, let context):
            let expected = type == Double.self || type == Int.self ? "a number" : type == String.self ? "a string" : "\(type)"
            return "\(path(context)) is not \(expected)"
        case .dataCorrupted(let context):
            return context.codingPath.isEmpty ? "not valid JSON (a syntax error, or a number beyond the range of a Double)"
                : "\(path(context)): \(context.debugDescription)"
        @unknown default: return "\(error)"
        }
    }
}

extension LogisticFit {
    /// The fit as a response model; nil unless it converged.
    public func model(outcome: String, positive: OutcomeValue?, source: String) -> LogisticModel? {
        guard converged, let coefficients, let covariance else { return nil }
        var model = try? LogisticModel(outcome: outcome, positive: positive, termOrder: termNames, coefficients: coefficients,
                                       covariance: covariance, n: n, source: source)
        model?.referenceLevels = Dictionary(uniqueKeysWithValues: referenceLevels.map { ($0.column, $0.level) })
        return model
    }
}
