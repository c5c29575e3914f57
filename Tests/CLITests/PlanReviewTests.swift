import Foundation
import Testing

/// Cases an independent review of `voxdose plan` found unguarded (each was exit 0 with a wrong
/// or silent result before the fix).
@Suite struct PlanReviewTests {
    private func table(_ body: String) throws -> String {
        let url = temporaryFolder().appendingPathComponent("lesions.json")
        try #"{"schema": "voxdose.lesions/1", "lesions": [\#(body)]}"#.write(to: url, atomically: false, encoding: .utf8)
        return url.path
    }

    @Test func nonPositiveActivityOrNegativeNormalLiverDoseInTheTable() throws {
        let lesion = #"{"label": 1, "dose": {"mean_gy": 60}, "t_bp": 1.1}"#
        for (parameters, option) in [(#""parameters": {"activity_gbq": -1}, "references": {"normal_liver_dose_mean_gy": 20}"#, "--activity"),
                                     (#""parameters": {"activity_gbq": 0}, "references": {"normal_liver_dose_mean_gy": 20}"#, "--activity"),
                                     (#""parameters": {"activity_gbq": 1.5}, "references": {"normal_liver_dose_mean_gy": -2}"#, "--normal-liver-dose")] {
            let url = temporaryFolder().appendingPathComponent("t.json")
            try #"{"schema": "voxdose.lesions/1", "lesions": [\#(lesion)], \#(parameters)}"#.write(to: url, atomically: false, encoding: .utf8)
            let r = voxdose(["plan", url.path, "--lung-shunt", "0.08"])
            #expect(r.status == 1 && r.stderr.hasPrefix("error: ") && r.stderr.contains(option) && r.stdout.isEmpty, "\(r.stderr)")
        }
    }

    @Test func nonFiniteOptionsAreBadUsage() throws {
        let path = try table(#"{"label": 1, "dose": {"mean_gy": 60}, "t_bp": 1.5}"#)
        #expect(voxdose(["plan", path, "--hypoxia-cutoff", "nan"]).status == 64)
        #expect(voxdose(["plan", "--partition", "--tumour-mass", "0.2kg", "--normal-liver-mass", "1.3kg", "--tnr", "inf",
                         "--lung-shunt", "0.08"]).status == 64)
    }

    @Test func notesNameWhatTheTableLacksAndAnotherCutoffWarns() throws {
        let path = try table(#"{"label": 6, "dose": {"mean_gy": 50}}"#)
        let r = voxdose(["plan", path])
        let lesion = try #require((r.json["lesions"] as? [[String: Any]])?.first)
        #expect((lesion["response_note"] as? String)?.contains("t_bp") == true, "\(lesion)")
        #expect((r.json["warnings"] as? [String])?.map { $0.prefix(14) } == ["default_model:"])
        let other = voxdose(["plan", path, "--hypoxia-cutoff", "1.4"])
        #expect((other.json["warnings"] as? [String])?.contains { $0.contains("1.29") } == true)
    }

    /// `35%` is 35/100 = 0.35 exactly rounded (35 × 0.01 would print 0.35000000000000003).
    @Test func percentagesAreExact() throws {
        let r = voxdose(["plan", "--partition", "--tumour-mass", "0.2kg", "--normal-liver-mass", "1.3kg", "--tnr", "3",
                         "--lung-shunt", "35%"])
        #expect(((r.json["parameters"] as? [String: Any])?["lung_shunt"] as? Double) == 0.35)
        #expect(r.stdout.contains("\"lung_shunt\": 0.35,"))
    }

    @Test func bodySurfaceAreaWithNoPositiveActivityIsAnError() {
        let r = voxdose(["plan", "--bsa", "--weight", "3kg", "--height", "50cm", "--tumour-volume", "0", "--liver-volume", "100",
                         "--lung-shunt", "0.05"])
        #expect(r.status == 1 && r.stderr.hasPrefix("error: "), "\(r.stderr)")
    }

    /// The default model prints each lesion's ranges over its scenarios and a `default_model:`
    /// warning; a fitted model neither (CONTRACT.md, "The default response model's uncertainty").
    @Test func defaultModelPrintsRangesAndWarnsFittedModelDoesNot() throws {
        let path = try table(#"{"label": 3, "dose": {"mean_gy": 95}, "t_bp": 1.8}, {"label": 4, "dose": {"mean_gy": 60}}"#)
        let r = voxdose(["plan", path])
        let lesions = try #require(r.json["lesions"] as? [[String: Any]])
        let response = try #require(lesions[0]["expected_response_range"] as? [Double])
        let needed = try #require(lesions[0]["dose_needed_range_gy"] as? [Double])
        let p = try #require(lesions[0]["expected_response"] as? Double), d = try #require(lesions[0]["dose_needed_gy"] as? Double)
        #expect(response.count == 2 && response[0] <= p && p <= response[1] && response[1] - response[0] > 0.05, "\(response)")
        #expect(needed.count == 2 && needed[0] <= d && d <= needed[1], "\(needed)")
        // A lesion the model cannot predict (no T/BP) gets the keys as null.
        #expect(lesions[1]["expected_response_range"] is NSNull && lesions[1]["dose_needed_range_gy"] is NSNull)
        #expect((r.json["warnings"] as? [String])?.first?.hasPrefix("default_model: ") == true)

        let model = temporaryFolder().appendingPathComponent("model.json")
        try #"{"schema": "voxdose.model/1", "outcome": "responder", "positive": 1, "term_order": ["intercept", "dose_mean_gy"], "terms": {"intercept": -2, "dose_mean_gy": 0.03}, "covariance": [[0.5, -0.004], [-0.004, 0.0001]], "n": 40, "source": "local.csv"}"#
            .write(to: model, atomically: false, encoding: .utf8)
        let fitted = voxdose(["plan", path, "--model", model.path])
        let row = try #require((fitted.json["lesions"] as? [[String: Any]])?.first)
        #expect(fitted.status == 0 && row["expected_response_range"] == nil && row["dose_needed_range_gy"] == nil, "\(row)")
        #expect((fitted.json["warnings"] as? [String]) == [], "\(fitted.stderr)")
    }
}
