import Foundation
import Testing

/// Categorical predictors (`COLUMN=LEVEL` indicator terms) and `--interaction a:b` against the
/// independent statsmodels reference in Fixtures/cohort (`make_categorical_reference.py`,
/// expected_categorical.json): coefficients, SE, z, p to 1e-6 relative (1e-10 absolute for the
/// terms that are 0 in exact arithmetic), term order and reference levels exactly.
@Suite struct CategoricalReferenceTests {
    nonisolated(unsafe) static let cases: [[String: Any]] = {
        let url = packageRoot.appendingPathComponent("Fixtures/cohort/expected_categorical.json")
        let object = try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return object["cases"] as! [[String: Any]]
    }()
    static let names = cases.map { $0["name"] as! String }

    static func near(_ a: Any?, _ b: Any?) -> Bool {
        guard let x = (a as? NSNumber)?.doubleValue, let y = (b as? NSNumber)?.doubleValue else { return false }
        return abs(x - y) <= max(1e-6 * abs(y), 1e-10)
    }

    @Test(arguments: names)
    func matchesStatsmodels(_ name: String) throws {
        let c = try #require(Self.cases.first { $0["name"] as? String == name })
        let run = voxdose(["cohort"] + (c["args"] as! [String]))
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.json["dropped_rows"] as? Int == c["dropped_rows"] as? Int)
        var problems: [String] = []
        let logistic = run.json["logistic"] as? [String: Any] ?? [:]
        let expected = c["logistic"] as? [String: Any] ?? [:]
        var fits: [(String, Any?, Any?)] = [("multivariable", logistic["multivariable"], expected["multivariable"])]
        for (predictor, fit) in expected["univariable"] as? [String: Any] ?? [:] {
            fits.append(("univariable." + predictor, (logistic["univariable"] as? [String: Any])?[predictor], fit))
        }
        for (path, actual, reference) in fits {
            let a = actual as? [String: Any] ?? [:], e = reference as? [String: Any] ?? [:]
            if a["n"] as? Int != e["n"] as? Int { problems.append("\(path).n") }
            let levels = a["reference_levels"] as? [String: String] ?? [:]
            if levels != (e["reference_levels"] as? [String: String] ?? [:]) { problems.append("\(path).reference_levels \(levels)") }
            guard let expectedTerms = e["terms"] as? [String: [String: Any]] else {
                // statsmodels did not converge (quasi-separation): VoxDose reports separation, no terms.
                if !(a["terms"] is NSNull) || a["separation"] as? Bool != true { problems.append("\(path): expected separation, got \(a)") }
                continue
            }
            let terms = a["terms"] as? [String: Any] ?? [:]
            if Set(terms.keys) != Set(expectedTerms.keys) { problems.append("\(path): terms \(terms.keys.sorted()), expected \(expectedTerms.keys.sorted())") }
            for (term, values) in expectedTerms {
                let t = terms[term] as? [String: Any] ?? [:]
                for key in ["coef", "se", "z", "p", "odds_ratio"] where !Self.near(t[key], values[key]) {
                    problems.append("\(path).\(term).\(key): \(t[key] ?? "absent"), expected \(values[key] ?? "")")
                }
            }
        }
        #expect(problems.isEmpty, "\(name):\n\(problems.joined(separator: "\n"))")
    }

    /// The fitted model carries its terms into plan: indicators from the lesion's text column
    /// (the table or --lesion-data), interactions as products, an unknown level null with a note.
    @Test func planReadsCategoricalModels() throws {
        let c = try #require(Self.cases.first { $0["name"] as? String == "main_interaction" })
        let folder = temporaryFolder()
        let model = folder.appendingPathComponent("model.json").path
        #expect(voxdose(["cohort"] + (c["args"] as! [String]) + ["--fit", model]).status == 0)
        let written = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as? [String: Any])
        #expect(written["reference_levels"] as? [String: String] == ["histology": "CRC"])
        let b = try #require(written["terms"] as? [String: Double])
        let table = folder.appendingPathComponent("lesions.json")
        try #"""
        {"schema": "voxdose.lesions/1", "lesions": [
          {"label": 1, "dose": {"mean_gy": 120}, "t_bp": 1.1, "histology": "HCC"},
          {"label": 2, "dose": {"mean_gy": 60}, "t_bp": 1.5},
          {"label": 3, "dose": {"mean_gy": 60}, "t_bp": 1.5, "histology": "ICC"},
          {"label": 4, "dose": {"mean_gy": 80}, "t_bp": 0.9, "histology": "CRC"}]}
        """#.write(to: table, atomically: false, encoding: .utf8)
        let data = folder.appendingPathComponent("data.csv")
        try "label,histology\n2,NET\n".write(to: data, atomically: false, encoding: .utf8)
        let plan = voxdose(["plan", table.path, "--model", model, "--lesion-data", data.path])
        #expect(plan.status == 0, "\(plan.stderr)")
        let rows = try #require(plan.json["lesions"] as? [[String: Any]])
        func eta(_ dose: Double, _ tbp: Double, hcc: Double, net: Double) -> Double {
            b["intercept"]! + b["dose_mean_gy"]! * dose + b["t_bp"]! * tbp + b["histology=HCC"]! * hcc + b["histology=NET"]! * net
                + b["dose_mean_gy:t_bp"]! * dose * tbp
        }
        let expected = [eta(120, 1.1, hcc: 1, net: 0), eta(60, 1.5, hcc: 0, net: 1), .nan, eta(80, 0.9, hcc: 0, net: 0)]
        for (row, e) in zip(rows, expected) {
            if e.isNaN {
                #expect(row["expected_response"] is NSNull && (row["response_note"] as? String)?.contains("ICC") == true, "\(row)")
            } else {
                let p = try #require(row["expected_response"] as? Double)
                #expect(abs(p - 1 / (1 + exp(-e))) < 1e-12, "label \(row["label"] ?? ""): \(p)")
            }
        }
        // The dose needed solves η(D) = logit 0.8 with the interaction in the slope: b_dose + b_int·t_bp.
        let needed = try #require(rows[0]["dose_needed_gy"] as? Double)
        let slope = b["dose_mean_gy"]! + b["dose_mean_gy:t_bp"]! * 1.1
        let eta0 = eta(0, 1.1, hcc: 1, net: 0)
        #expect(slope > 0 ? abs(needed - max(0, (log(4) - eta0) / slope)) < 1e-9 : true, "\(needed)")
    }
}
