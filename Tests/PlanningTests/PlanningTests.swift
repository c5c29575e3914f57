import Foundation
import Testing
import CohortStatistics
import Dosimetry
@testable import Planning

private func close(_ a: Double?, _ b: Double, rel: Double = 1e-9) -> Bool {
    guard let a else { return false }
    return abs(a - b) <= rel * max(1, abs(b))
}

/// REFERENCE.md §4 and §6 cases, computed by hand (independent of the code).
@Suite struct PlanningReferenceCases {
    /// §4: M_T 0.2, M_N 1.3, TNR 3, LSF 0.08, D_N 40 Gy → A = 40·(3·0.2 + 1.3)/(49.67·0.92) = 1.6632 GBq,
    /// D_T = 120 Gy, D_L = 49.67·1.6632·0.08 = 6.609 Gy.
    @Test func partitionModelCase() {
        let limits = TreatmentLimits(lungShuntFraction: 0.08, normalLiverLimitGy: 40)
        let r = PartitionModel(tumourMassKg: 0.2, normalLiverMassKg: 1.3, tumourToNormalRatio: 3, limits: limits).result
        #expect(abs(r.activityGBq - 1.663) < 5e-4)
        #expect(close(r.activityGBq, 76 / (49.67 * 0.92)))
        #expect(close(r.tumourDoseGy, 120) && close(r.normalLiverDoseGy, 40))
        #expect(abs(r.lungDoseGy - 6.61) < 5e-3)
        #expect(r.binding == .normalLiver)
    }

    /// §6.6: the 30 Gy lung limit (1 kg) ↔ A·LSF ≤ 30/49.67 = 0.604 GBq.
    @Test func lungLimit() {
        for f in [0.05, 0.1, 0.2] {
            let limits = TreatmentLimits(lungShuntFraction: f, normalLiverLimitGy: 40)
            #expect(abs(limits.lungActivityLimitGBq! * f - 0.604) < 5e-4)
            #expect(close(limits.lungDoseGy(activityGBq: limits.lungActivityLimitGBq!), 30))
        }
        #expect(TreatmentLimits(lungShuntFraction: 0, normalLiverLimitGy: 40).lungActivityLimitGBq == nil)
        // A high shunt makes the lung bind in the partition model: TNR 3, 0.2 + 1.3 kg, F 0.3:
        // liver bound 40·1.9/(49.67·0.7) = 2.186 GBq, lung bound 30/(49.67·0.3) = 2.013 GBq.
        let r = PartitionModel(tumourMassKg: 0.2, normalLiverMassKg: 1.3, tumourToNormalRatio: 3,
                               limits: TreatmentLimits(lungShuntFraction: 0.3, normalLiverLimitGy: 40)).result
        #expect(r.binding == .lung && close(r.activityGBq, 30 / (49.67 * 0.3)) && close(r.lungDoseGy, 30))
    }

    /// §6.7: strict cut-offs.
    @Test func classificationAtTheCutoffs() {
        func group(_ d: Double?, _ t: Double?) -> DoseHypoxiaGroup? {
            DoseHypoxiaGroup(doseMeanGy: d, tBP: t, doseCutoffGy: 89, hypoxiaCutoff: 1.29)
        }
        #expect(group(95, 1.10) == .nonhypoxicHighDose)
        #expect(group(60, 1.50) == .hypoxicLowDose)
        #expect(group(89, 1.10) == .nonhypoxicLowDose)
        #expect(group(95, 1.29) == .nonhypoxicHighDose)
        #expect(group(89.000001, 1.290001) == .hypoxicHighDose)
        #expect(group(nil, 1.5) == nil && group(95, nil) == nil && group(.nan, 1) == nil)
    }

    /// BSA (resin): BSA 1.8481 m² (70 kg, 175 cm, DuBois), V_T 200 of 1500 mL:
    /// A = 1.8481 − 0.2 + 0.1333 = 1.7815 GBq; × 0.8 at 10 % ≤ F < 15 %, × 0.6 at 15–20 %, none above.
    @Test func bodySurfaceAreaMethod() {
        let bsa = 0.007184 * pow(175, 0.725) * pow(70, 0.425)
        func method(_ f: Double) -> BodySurfaceAreaMethod {
            BodySurfaceAreaMethod(bodySurfaceAreaM2: bsa, tumourVolumeML: 200, liverVolumeML: 1500, lungShuntFraction: f)
        }
        let full = bsa - 0.2 + 200.0 / 1500
        #expect(close(method(0.0999).activityGBq, full) && method(0.0999).lungShuntReduction == 0)
        #expect(close(method(0.10).activityGBq, 0.8 * full) && method(0.10).lungShuntReduction == 0.2)
        #expect(close(method(0.1499).activityGBq, 0.8 * full))
        #expect(close(method(0.15).activityGBq, 0.6 * full) && method(0.15).lungShuntReduction == 0.4)
        #expect(close(method(0.20).activityGBq, 0.6 * full))
        #expect(method(0.2001).activityGBq == nil && method(0.2001).lungShuntReduction == nil)
        // As the option parser reads "10%", "15%" and "20%".
        #expect(method(10.0 / 100).lungShuntReduction == 0.2 && method(15.0 / 100).lungShuntReduction == 0.4
                && method(20.0 / 100).lungShuntReduction == 0.4)
    }
}

private func makeModel(_ terms: [String], _ coefficients: [Double], _ covariance: [[Double]]) -> ResponseModel {
    ResponseModel(try! LogisticModel(outcome: "responder", positive: nil, termOrder: terms, coefficients: coefficients,
                                     covariance: covariance, n: 10, source: "test"))
}

@Suite struct ResponseModelTests {
    static let model = makeModel(["intercept", "dose_mean_gy", "hypoxic"], [-2, 0.04, -1.5],
                                      [[0.25, -0.002, 0], [-0.002, 0.0001, 0], [0, 0, 0.36]])

    /// η = −2 + 0.04·100 − 1.5 = 0.5; SE² = xᵀΣx with x = (1, 100, 1):
    /// 0.25 + 2·100·(−0.002) + 100²·0.0001 + 0.36 = 0.25 − 0.4 + 1 + 0.36 = 1.21, SE 1.1.
    @Test func predictionAndInterval() {
        let p = Self.model.predict(["dose_mean_gy": 100, "hypoxic": 1])!
        #expect(close(p.probability, 1 / (1 + exp(-0.5))))
        #expect(close(p.ci95.low, 1 / (1 + exp(-(0.5 - 1.959964 * 1.1)))))
        #expect(close(p.ci95.high, 1 / (1 + exp(-(0.5 + 1.959964 * 1.1)))))
        #expect(Self.model.predict(["dose_mean_gy": 100]) == nil)
        #expect(Self.model.missingTerms(["t_bp": 1]) == ["dose_mean_gy", "hypoxic"])
    }

    /// D = (logit 0.8 + 2 + 1.5·h)/0.04: h 0 → (1.386294 + 2)/0.04 = 84.657 Gy; h 1 → 122.157 Gy.
    @Test func doseNeeded() throws {
        let logit08 = log(4.0)
        #expect(close(try Self.model.doseNeeded(target: 0.8, terms: ["hypoxic": 0]).get(), (logit08 + 2) / 0.04))
        #expect(close(try Self.model.doseNeeded(target: 0.8, terms: ["hypoxic": 1, "dose_mean_gy": 5]).get(), (logit08 + 3.5) / 0.04))
        // Reached at 0 Gy: σ(−2) = 0.119 ≥ 0.1.
        #expect(try Self.model.doseNeeded(target: 0.1, terms: ["hypoxic": 0]).get() == 0)
        #expect(Self.model.doseNeeded(target: 0.8, terms: [:]) == .failure(.missingTerms(["hypoxic"])))
        let falling = makeModel(["intercept", "dose_mean_gy", "hypoxic"], [-2, -0.01, -1.5], [[1, 0, 0], [0, 1, 0], [0, 0, 1]])
        #expect(falling.doseNeeded(target: 0.8, terms: ["hypoxic": 0]) == .failure(.unreachable))
        let noDose = makeModel(["intercept", "t_bp"], [1, 1], [[1, 0], [0, 1]])
        // Without a dose term, a lesion whose other terms already reach the target needs 0 Gy
        // (CONTRACT.md: "0 when it is reached at 0 Gy"): σ(1 + 1) = 0.881 ≥ 0.8; σ(1 + 0) = 0.731 < 0.8.
        #expect(try noDose.doseNeeded(target: 0.8, terms: ["t_bp": 1]).get() == 0)
        #expect(noDose.doseNeeded(target: 0.8, terms: ["t_bp": 0]) == .failure(.noDoseTerm))
    }
}

/// The default model reproduces the ARTE-MISO figures it was derived from (REFERENCE.md §3;
/// Scripts/derive_artemiso_model.py): at the representative doses of the high- and low-dose
/// groups (the means of the published category medians, 106.85 and 67.5 Gy), the two groups
/// the abstract reports, 93 % and 39 %.
@Suite struct ArteMisoDefaultModel {
    @Test func reproducesThePublishedGroups() {
        let model = ResponseModel.arteMiso
        let high = (114.8 + 98.9) / 2, low = (56.7 + 78.3) / 2
        #expect(close(model.predict(["dose_mean_gy": high, "hypoxic": 0])?.probability, 0.93, rel: 1e-9))
        #expect(close(model.predict(["dose_mean_gy": low, "hypoxic": 1])?.probability, 0.39, rel: 1e-9))
        // Response rises with dose and falls with hypoxia; the covariance is symmetric and its
        // intervals are wide (54 lesions), never collapsed.
        #expect(model.logistic.coefficients[1] > 0 && model.logistic.coefficients[2] < 0)
        let p = model.predict(["dose_mean_gy": 89, "hypoxic": 1])!
        #expect(p.ci95.high - p.ci95.low > 0.2)
        for i in 0..<3 { for j in 0..<3 { #expect(model.logistic.covariance[i][j] == model.logistic.covariance[j][i]) } }
    }
}

@Suite struct TablePrescriptionTests {
    /// A0 1.5 GBq, D_NL0 20 Gy, F 0.05, resin 40 Gy: liver bound 40·1.5/(20·0.95) = 3.158 GBq;
    /// lung bound 30/(49.67·0.05) = 12.08 GBq. A lesion at 60 Gy needing 120 Gy:
    /// 120·1.5/(60·0.95) = 3.158 → just within; needing 130 Gy → capped at the liver bound.
    @Test func targetsAndLimits() {
        let rx = TablePrescription(referenceActivityGBq: 1.5, normalLiverDoseAtReferenceGy: 20,
                                   limits: TreatmentLimits(lungShuntFraction: 0.05, normalLiverLimitGy: 40))
        #expect(close(rx.maximum?.activityGBq, 60 / 19) && rx.maximum?.binding == .normalLiver)
        let a = rx.activityGBq(doseAtReferenceGy: 60, doseNeededGy: 100)!
        #expect(close(a, 150 / 57))
        #expect(rx.prescribe(targetActivitiesGBq: [a, 1])! == (a, .target))
        let capped = rx.prescribe(targetActivitiesGBq: [rx.activityGBq(doseAtReferenceGy: 60, doseNeededGy: 130)!])!
        #expect(capped.binding == .normalLiver && close(capped.activityGBq, 60 / 19))
        #expect(close(rx.liverSideDoseGy(20, activityGBq: capped.activityGBq), 40))
        #expect(rx.activityGBq(doseAtReferenceGy: 0, doseNeededGy: 50) == nil)
        #expect(rx.activityGBq(doseAtReferenceGy: 0, doseNeededGy: 0) == 0)
        #expect(rx.prescribe(targetActivitiesGBq: []) == nil)
        // No normal-liver dose and no shunt: nothing bounds the activity.
        let free = TablePrescription(referenceActivityGBq: 1, normalLiverDoseAtReferenceGy: 0,
                                     limits: TreatmentLimits(lungShuntFraction: 0, normalLiverLimitGy: 40))
        #expect(free.maximum == nil && free.prescribe(targetActivitiesGBq: [7])! == (7, .target))
    }
}

/// The default model's uncertainty beyond its covariance (Docs/PLANNING.md, "Scenarios"): the
/// ranges over the scenarios against the ones Scripts/derive_artemiso_model.py computes on its
/// own (Fixtures/planning/artemiso_scenarios.json), and the design effect on the interval.
@Suite struct ArteMisoScenarios {
    struct Reference: Decodable {
        struct Scenario: Decodable { var name: String; var coefficients: [Double] }
        struct Lesion: Decodable {
            var dose_mean_gy: Double
            var hypoxic: Double
            var expected_response_range: [Double]
            var dose_needed_range_gy: [Double]
        }
        var design_effect: Double
        var intraclass_correlation: Double
        var scenarios: [Scenario]
        var lesions: [Lesion]
    }

    static func reference() throws -> Reference {
        let url = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/planning/artemiso_scenarios.json")
        return try JSONDecoder().decode(Reference.self, from: Data(contentsOf: url))
    }

    @Test func rangesEqualTheDerivationScript() throws {
        let reference = try Self.reference()
        let model = ResponseModel.arteMiso
        #expect(model.scenarios.map(\.name) == reference.scenarios.map(\.name))
        #expect(model.scenarios.map(\.coefficients) == reference.scenarios.map(\.coefficients))
        for lesion in reference.lesions {
            let terms = ["dose_mean_gy": lesion.dose_mean_gy, "hypoxic": lesion.hypoxic]
            let response = try #require(model.responseRange(terms))
            let needed = try #require(model.doseNeededRange(target: 0.8, terms: terms))
            #expect(close(response.low, lesion.expected_response_range[0], rel: 1e-12) && close(response.high, lesion.expected_response_range[1], rel: 1e-12))
            #expect(close(needed.low, lesion.dose_needed_range_gy[0], rel: 1e-12) && close(needed.high, lesion.dose_needed_range_gy[1], rel: 1e-12))
            // The default model's own prediction and dose needed lie within the ranges.
            let p = try #require(model.predict(terms)).probability, d = try model.doseNeeded(target: 0.8, terms: terms).get()
            #expect(response.low <= p && p <= response.high && needed.low <= d && d <= needed.high!)
        }
    }

    /// deff = 1 + (54/25 − 1)·ρ, ρ = σ_u²/(σ_u² + π²/3) at σ_u = 1.5 (Snijders and Bosker's latent
    /// ICC), and the interval σ(η ± 1.959964·SE·√deff) by hand from the covariance.
    @Test func designEffectWidensTheInterval() throws {
        let rho = 2.25 / (2.25 + Double.pi * Double.pi / 3)
        let deff = 1 + (54.0 / 25 - 1) * rho
        #expect(close(rho, try Self.reference().intraclass_correlation, rel: 1e-12))
        #expect(close(ResponseModel.arteMiso.designEffect, deff, rel: 1e-12) && close(ResponseModel.arteMisoDesignEffect, deff, rel: 1e-12))
        let m = ResponseModel.arteMiso.logistic
        let x = [1, 89, 1.0]
        let eta = zip(m.coefficients, x).reduce(0) { $0 + $1.0 * $1.1 }
        var variance = 0.0
        for i in 0..<3 { for j in 0..<3 { variance += x[i] * m.covariance[i][j] * x[j] } }
        let half = 1.959964 * (variance * deff).squareRoot()
        let ci = try #require(ResponseModel.arteMiso.predict(["dose_mean_gy": 89, "hypoxic": 1])).ci95
        #expect(close(ci.low, 1 / (1 + exp(-(eta - half))), rel: 1e-6) && close(ci.high, 1 / (1 + exp(-(eta + half))), rel: 1e-6))
        // A fitted model has neither scenarios nor a design effect.
        let fitted = ResponseModel(m)
        #expect(fitted.responseRange(["dose_mean_gy": 89, "hypoxic": 1]) == nil && fitted.designEffect == 1)
        #expect(fitted.doseNeededRange(target: 0.8, terms: ["dose_mean_gy": 89, "hypoxic": 1]) == nil)
    }
}
