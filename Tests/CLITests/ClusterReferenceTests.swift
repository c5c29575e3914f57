import Foundation
import Testing

/// `voxdose cohort --cluster` against the independent reference in Fixtures/cohort
/// (`make_cluster_reference.py`: statsmodels `Logit(...).fit(cov_type="cluster")` for the fits, a
/// direct implementation of Obuchowski 1997 for the AUC; values in expected_cluster.json).
/// Estimates, standard errors and p-values to 1e-6 relative (1e-12 absolute near 0).
@Suite struct ClusterReferenceTests {
    nonisolated(unsafe) static let cases: [[String: Any]] = {
        let url = packageRoot.appendingPathComponent("Fixtures/cohort/expected_cluster.json")
        let object = try! JSONSerialization.jsonObject(with: Data(contentsOf: url)) as! [String: Any]
        return object["cases"] as! [[String: Any]]
    }()
    static let names = cases.map { $0["name"] as! String }

    static func near(_ a: Any?, _ b: Any?) -> Bool {
        if b is NSNull || b == nil { return a == nil || a is NSNull }
        guard let x = (a as? NSNumber)?.doubleValue, let y = (b as? NSNumber)?.doubleValue else { return false }
        return abs(x - y) <= max(1e-6 * abs(y), 1e-12)
    }

    func run(_ c: [String: Any], extra: [String] = []) -> RunResult {
        voxdose(["cohort", "Fixtures/cohort/" + (c["table"] as! String), "--outcome", c["outcome"] as! String,
                 "--predictors", (c["predictors"] as! [String]).joined(separator: ","), "--cluster", c["cluster"] as! String] + extra)
    }

    @Test(arguments: names)
    func matchesStatsmodelsAndObuchowski(_ name: String) throws {
        let c = try #require(Self.cases.first { $0["name"] as? String == name })
        let out = run(c)
        #expect(out.status == 0, "\(out.stderr)")
        let doc = out.json
        var problems: [String] = []
        for key in ["n_rows", "dropped_rows", "n_clusters"] where doc[key] as? Int != c[key] as? Int {
            problems.append("\(key): \(doc[key] ?? "absent"), expected \(c[key] ?? "")")
        }
        if doc["cluster"] as? String != c["cluster"] as? String { problems.append("cluster: \(doc["cluster"] ?? "absent")") }
        let predictors = doc["predictors"] as? [String: Any] ?? [:]
        for (predictor, expected) in c["roc"] as? [String: [String: Any]] ?? [:] {
            let entry = predictors[predictor] as? [String: Any] ?? [:]
            let roc = entry["roc"] as? [String: Any] ?? [:]
            if entry["n_clusters"] as? Int != expected["n_clusters"] as? Int { problems.append("\(predictor).n_clusters") }
            if !Self.near(roc["auc"], expected["auc"]) { problems.append("\(predictor).auc \(roc["auc"] ?? "")") }
            let ci = roc["auc_ci95"] as? [Double], expectedCI = expected["auc_ci95"] as? [Double]
            if (ci == nil) != (expectedCI == nil) || !zip(ci ?? [], expectedCI ?? []).allSatisfy({ Self.near($0, $1) }) {
                problems.append("\(predictor).auc_ci95 \(ci ?? []), expected \(expectedCI ?? [])")
            }
        }
        let logistic = doc["logistic"] as? [String: Any] ?? [:]
        let expectedLogistic = c["logistic"] as? [String: Any] ?? [:]
        var fits: [(String, Any?, Any?)] = [("multivariable", logistic["multivariable"], expectedLogistic["multivariable"])]
        for (predictor, fit) in expectedLogistic["univariable"] as? [String: Any] ?? [:] {
            fits.append(("univariable.\(predictor)", (logistic["univariable"] as? [String: Any])?[predictor], fit))
        }
        for (path, actual, expected) in fits {
            let a = actual as? [String: Any] ?? [:], e = expected as? [String: Any] ?? [:]
            if a["n"] as? Int != e["n"] as? Int || a["n_clusters"] as? Int != e["n_clusters"] as? Int { problems.append("\(path): n, n_clusters") }
            let terms = a["terms"] as? [String: Any] ?? [:]
            for (term, values) in e["terms"] as? [String: [String: Any]] ?? [:] {
                let t = terms[term] as? [String: Any] ?? [:]
                for key in ["coef", "se", "z", "p", "odds_ratio"] where !Self.near(t[key], values[key]) {
                    problems.append("\(path).\(term).\(key): \(t[key] ?? "absent"), expected \(values[key] ?? "")")
                }
                let ci = t["or_ci95"] as? [Double] ?? [], expectedCI = values["or_ci95"] as? [Double] ?? []
                if ci.count != 2 || !zip(ci, expectedCI).allSatisfy({ Self.near($0, $1) }) { problems.append("\(path).\(term).or_ci95") }
            }
        }
        #expect(problems.isEmpty, "\(name):\n\(problems.joined(separator: "\n"))")
        // One class in one cluster: a null interval with a warning.
        if (c["roc"] as? [String: [String: Any]])?.values.contains(where: { $0["auc_ci95"] is NSNull }) == true {
            #expect((doc["warnings"] as? [String] ?? []).contains { $0.contains("auc_ci95 is null") })
        }
    }

    /// --fit writes the cluster-robust covariance, so plan's intervals carry the clustering.
    @Test func fitWritesTheRobustCovariance() throws {
        let c = try #require(Self.cases.first { $0["name"] as? String == "artemiso_dose_tbp" } ?? Self.cases.first)
        let model = temporaryFolder().appendingPathComponent("model.json").path
        let out = run(c, extra: ["--fit", model])
        #expect(out.status == 0, "\(out.stderr)")
        let written = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as? [String: Any])
        let expected = try #require((c["logistic"] as? [String: Any])?["multivariable"] as? [String: Any])
        #expect(written["term_order"] as? [String] == expected["term_order"] as? [String])
        let covariance = try #require(written["covariance"] as? [[Double]]), reference = try #require(expected["covariance"] as? [[Double]])
        #expect(zip(covariance.joined(), reference.joined()).allSatisfy { Self.near($0, $1) }, "\(covariance) vs \(reference)")
    }

    /// With one lesion per patient Obuchowski's interval is DeLong's (the run without --cluster).
    @Test func oneLesionPerPatientIsDeLong() throws {
        let clustered = voxdose(["cohort", "Fixtures/cohort/artemiso_like.csv", "--outcome", "responder", "--predictors", "dose_mean_gy,t_bp",
                                 "--cluster", "label"])
        let plain = voxdose(["cohort", "Fixtures/cohort/artemiso_like.csv", "--outcome", "responder", "--predictors", "dose_mean_gy,t_bp"])
        for predictor in ["dose_mean_gy", "t_bp"] {
            func ci(_ run: RunResult) -> [Double] {
                (((run.json["predictors"] as? [String: Any])?[predictor] as? [String: Any])?["roc"] as? [String: Any])?["auc_ci95"] as? [Double] ?? []
            }
            #expect(ci(clustered).count == 2 && zip(ci(clustered), ci(plain)).allSatisfy { abs($0 - $1) < 1e-12 }, "\(ci(clustered)) vs \(ci(plain))")
        }
        // A missing cluster column is an error naming it.
        let missing = voxdose(["cohort", "Fixtures/cohort/artemiso_like.csv", "--outcome", "responder", "--cluster", "hospital"])
        #expect(missing.status == 1 && missing.stderr.contains("hospital") && missing.stderr.contains("--cluster"), "\(missing.stderr)")
    }
}
