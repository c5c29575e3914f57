import Foundation
import Testing
@testable import CohortStatistics

@Suite struct LogisticModelTests {
    static let model = try! LogisticModel(
        outcome: "response", positive: .number(1), termOrder: ["intercept", "dose_mean_gy", "hypoxic"],
        coefficients: [-2.5, 0.04, -1.25],
        covariance: [[0.5, -0.004, 0.01], [-0.004, 0.0001, -0.0002], [0.01, -0.0002, 0.3]],
        n: 57, source: "Fixtures/cohort/table.csv")

    /// η, its SE √(xᵀΣx) and σ(η), worked by hand for dose 100 Gy, hypoxic.
    @Test func predictionByHand() throws {
        let m = Self.model
        let values = ["dose_mean_gy": 100.0, "hypoxic": 1, "unused": 7]
        // η = −2.5 + 4 − 1.25 = 0.25.
        #expect(near(try #require(m.linearPredictor(for: values)), 0.25, rel: 1e-15))
        // xᵀΣx with x = (1, 100, 1): 0.5 + 1 + 0.3 + 2(−0.4 + 0.01 − 0.02) = 1.8 − 0.82 = 0.98.
        let se = try #require(m.linearPredictorStandardError(for: values))
        #expect(near(se, 0.98.squareRoot(), rel: 1e-13))
        #expect(near(try #require(m.probability(for: values)), 1 / (1 + exp(-0.25)), rel: 1e-15))
        let interval = try #require(m.probabilityInterval95(for: values))
        #expect(near(interval.lower, 1 / (1 + exp(-(0.25 - 1.959964 * se))), rel: 1e-14))
        #expect(near(interval.upper, 1 / (1 + exp(-(0.25 + 1.959964 * se))), rel: 1e-14))
        #expect(m.probability(for: ["dose_mean_gy": 100]) == nil)             // hypoxic missing
        #expect(m.probability(for: ["dose_mean_gy": .nan, "hypoxic": 0]) == nil)
        #expect(m.requiredTerms == ["dose_mean_gy", "hypoxic"] && m.coefficient(for: "hypoxic") == -1.25)
        #expect(m.terms == ["intercept": -2.5, "dose_mean_gy": 0.04, "hypoxic": -1.25])
    }

    /// The reader takes what `voxdose cohort --fit` writes (the writer and the round trip through
    /// the binary are tested in CLITests/CohortCLITests): awkward numbers and names exactly.
    @Test func readsAModelFile() throws {
        let text = #"""
        {"schema": "voxdose.model/1", "voxdose_version": "9.9.9", "outcome": "a \"quoted\"\tname",
         "positive": "yes, really", "terms": {"intercept": 0.30000000000000004, "x": -1e-300},
         "term_order": ["intercept", "x"], "covariance": [[1e-17, 3e-18], [3e-18, 5e300]], "n": 3, "source": "C:\\x.csv"}
        """#
        let model = try LogisticModel(json: Data(text.utf8), source: "m.json")
        let expected = try LogisticModel(outcome: "a \"quoted\"\tname", positive: .text("yes, really"), termOrder: ["intercept", "x"],
                                         coefficients: [0.1 + 0.2, -1e-300], covariance: [[1e-17, 3e-18], [3e-18, 5e300]],
                                         n: 3, source: "C:\\x.csv")
        #expect(model == expected)
        let flag = #"{"schema": "voxdose.model/1", "outcome": "r", "positive": true, "terms": {"intercept": 0}, "term_order": ["intercept"], "covariance": [[0]], "n": 0, "source": ""}"#
        #expect(try LogisticModel(json: Data(flag.utf8), source: "m").positive == .boolean(true))
    }

    /// Malformed files are refused with a message naming the file and the problem.
    @Test(arguments: [
        ("[1, 2]", "not a voxdose.model/1 file"),
        ("{", "not valid JSON"),
        (#"{"terms": {}}"#, "no \"schema\" key"),
        (#"{"schema": "voxdose.lesions/1"}"#, "its schema is \"voxdose.lesions/1\""),
        (#"{"schema": "voxdose.model/1", "outcome": "r", "terms": {"intercept": 1}, "term_order": ["intercept"], "n": 3, "source": "s"}"#,
         "covariance"),
        (#"{"schema": "voxdose.model/1", "outcome": "r", "terms": {"intercept": 1, "x": 2}, "term_order": ["intercept", "x"], "covariance": [[1, 0], [0]], "n": 3, "source": "s"}"#,
         "covariance must be a 2×2 matrix"),
        (#"{"schema": "voxdose.model/1", "outcome": "r", "terms": {"intercept": 1, "x": 2}, "term_order": ["intercept", "x"], "covariance": [[1]], "n": 3, "source": "s"}"#,
         "covariance must be a 2×2 matrix"),
        (#"{"schema": "voxdose.model/1", "outcome": "r", "terms": {"intercept": 1}, "term_order": ["intercept", "x"], "covariance": [[1, 0], [0, 1]], "n": 3, "source": "s"}"#,
         "term_order names \"x\", which is not in terms"),
        (#"{"schema": "voxdose.model/1", "outcome": "r", "terms": {"intercept": 1, "y": 1}, "term_order": ["intercept"], "covariance": [[1]], "n": 3, "source": "s"}"#,
         "terms has \"y\", which is not in term_order"),
        (#"{"schema": "voxdose.model/1", "outcome": "r", "terms": {"intercept": null}, "term_order": ["intercept"], "covariance": [[1]], "n": 3, "source": "s"}"#,
         "terms.intercept is null"),
        (#"{"schema": "voxdose.model/1", "outcome": "r", "terms": {"intercept": 1}, "term_order": ["intercept"], "covariance": [[null]], "n": 3, "source": "s"}"#,
         "covariance[0][0] is null"),
        (#"{"schema": "voxdose.model/1", "outcome": "r", "terms": {"intercept": 1e999}, "term_order": ["intercept"], "covariance": [[1]], "n": 3, "source": "s"}"#,
         "m.json:"),
        (#"{"schema": "voxdose.model/1", "outcome": "r", "terms": {"intercept": "1"}, "term_order": ["intercept"], "covariance": [[1]], "n": 3, "source": "s"}"#,
         "terms.intercept is not a number"),
        (#"{"schema": "voxdose.model/1", "outcome": "r", "terms": {"intercept": 1, "x": 1}, "term_order": ["intercept", "x"], "covariance": [[1, 0.5], [0.4, 1]], "n": 3, "source": "s"}"#,
         "not symmetric"),
        (#"{"schema": "voxdose.model/1", "outcome": "r", "terms": {"intercept": 1}, "term_order": ["intercept"], "covariance": [[-1]], "n": 3, "source": "s"}"#,
         "is negative"),
        (#"{"schema": "voxdose.model/1", "outcome": "r", "terms": {"intercept": 1}, "term_order": ["intercept", "intercept"], "covariance": [[1, 0], [0, 1]], "n": 3, "source": "s"}"#,
         "twice"),
    ])
    func malformedFilesAreRefused(text: String, message: String) {
        do {
            _ = try LogisticModel(json: Data(text.utf8), source: "m.json")
            Issue.record("accepted: \(text)")
        } catch let error as CohortError {
            #expect(error.description.hasPrefix("m.json: ") && error.description.contains(message), "\(error.description)")
        } catch {
            Issue.record("unexpected error \(error)")
        }
    }

    @Test func readingAMissingFile() {
        #expect(throws: CohortError.self) { try LogisticModel.read(contentsOfFile: "/nonexistent/model.json") }
    }

    /// A converged fit becomes a model whose prediction is the fit's own σ(xβ).
    @Test func modelFromAFit() throws {
        let x: [Double] = [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]
        let y = [false, false, true, false, true, false, true, true, false, true]
        let fit = LogisticRegression.fit(predictors: [("x", x)], outcome: y)
        let model = try #require(fit.model(outcome: "y", positive: .boolean(true), source: "t.csv"))
        let beta = try #require(fit.coefficients)
        #expect(near(try #require(model.probability(for: ["x": 4])), LogisticRegression.logistic(beta[0] + 4 * beta[1]), rel: 1e-15))
        #expect(model.n == 10 && model.termOrder == ["intercept", "x"])
        let separated = LogisticRegression.fit(predictors: [("x", x)], outcome: x.map { $0 > 5 })
        #expect(separated.model(outcome: "y", positive: nil, source: "t.csv") == nil)
    }
}
