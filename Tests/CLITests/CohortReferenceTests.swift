import Foundation
import Testing

/// `voxdose cohort` against the independent scipy + statsmodels reference in Fixtures/cohort
/// (`make_reference.py`, its values committed in expected.json; README there for the rules and
/// tolerances): 1e-6 relative for estimates, 1e-4 for p-values and confidence limits, exact
/// for counts, strings, booleans and the Youden cut-off, and never tighter than 1e-12 absolute
/// (for 0, 1 and the coefficients that are 0 in exact arithmetic).
@Suite struct CohortReferenceTests {
    nonisolated(unsafe) static let reference: [String: [String: Any]] = {
        let url = packageRoot.appendingPathComponent("Fixtures/cohort/expected.json")
        let data = try! Data(contentsOf: url)
        return (try! JSONSerialization.jsonObject(with: data)) as! [String: [String: Any]]
    }()
    static let caseNames = reference.keys.sorted()

    static let pValueKeys: Set<String> = ["mann_whitney_p", "chi2_p", "chi2_yates_p", "fisher_p", "p", "auc_ci95", "or_ci95"]

    @Test(arguments: caseNames)
    func matchesTheReference(_ name: String) throws {
        let entry = try #require(Self.reference[name])
        let args = try #require(entry["args"] as? [String])
        let run = voxdose(["cohort"] + args)
        let status = try #require(entry["exit_status"] as? Int)
        #expect(Int(run.status) == status, "\(name): exit \(run.status), stderr \(run.stderr)")
        if status != 0 {
            #expect(run.stdout.isEmpty && run.stderr.hasPrefix("error: ") && run.stderr.split(separator: "\n").count == 1,
                    "\(name): \(run.stderr)")
            return
        }
        let expected = try #require(entry["expected"] as? [String: Any])
        let actual = run.json
        #expect(actual["schema"] as? String == "voxdose.cohort/1")
        var problems: [String] = []
        for (key, value) in expected where key != "warnings" {
            compare(actual[key], value, path: key, tolerance: 1e-6, problems: &problems)
        }
        // Warnings: each expected entry (the predictor names a warning must name) matched by a
        // distinct warning naming exactly those of the case's predictors.
        let allPredictors = Set(((expected["predictors"] as? [String: Any]) ?? [:]).keys)
        var unmatched = (actual["warnings"] as? [String]) ?? []
        for names in (expected["warnings"] as? [[String]]) ?? [] {
            let wanted = Set(names)
            if let i = unmatched.firstIndex(where: { text in
                allPredictors.filter { text.contains($0) } == wanted || (wanted.allSatisfy { text.contains($0) }
                    && allPredictors.subtracting(wanted).allSatisfy { !text.contains($0) })
            }) {
                unmatched.remove(at: i)
            } else {
                problems.append("warnings: none names exactly \(names.sorted()) in \(actual["warnings"] ?? "nothing")")
            }
        }
        #expect(problems.isEmpty, "\(name):\n\(problems.joined(separator: "\n"))")
    }

    /// The `--fit` model of the true-model synthetic cohort: the statsmodels fit's coefficients
    /// and covariance, and confidence intervals that cover the coefficients the data were drawn from.
    @Test func fitRecoversTheKnownCoefficients() throws {
        let entry = try #require(Self.reference["synthetic_known_true_model"])
        let args = try #require(entry["args"] as? [String])
        let model = temporaryFolder().appendingPathComponent("model.json").path
        let run = voxdose(["cohort"] + args + ["--fit", model])
        #expect(run.status == 0, "\(run.stderr)")
        let written = try #require((try? JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model)))) as? [String: Any])
        let expectedModel = try #require(entry["fit_model"] as? [String: Any])
        var problems: [String] = []
        for key in ["terms", "covariance", "term_order", "n", "outcome"] {
            compare(written[key], expectedModel[key] as Any, path: key, tolerance: 1e-6, problems: &problems)
        }
        #expect(problems.isEmpty, "\(problems.joined(separator: "\n"))")
        let truth = try #require(entry["true_coefficients"] as? [String: Double])
        let terms = try #require(((run.json["logistic"] as? [String: Any])?["multivariable"] as? [String: Any])?["terms"] as? [String: Any])
        for (term, value) in truth {
            let ci = try #require(((terms[term] as? [String: Any])?["or_ci95"] as? [Double])?.map { log($0) })
            #expect(ci[0] <= value && value <= ci[1], "\(term): true \(value) outside the 95 % CI \(ci)")
        }
        // `plan --model` uses the fitted model: P = σ(b0 + b1·95 + b2·1) for a hypoxic lesion at 95 Gy.
        let table = temporaryFolder().appendingPathComponent("lesions.json")
        try #"{"schema": "voxdose.lesions/1", "lesions": [{"label": 4, "dose": {"mean_gy": 95}, "t_bp": 1.6}]}"#
            .write(to: table, atomically: false, encoding: .utf8)
        let plan = voxdose(["plan", table.path, "--model", model])
        #expect(plan.status == 0, "\(plan.stderr)")
        let b = try #require(written["terms"] as? [String: Double])
        let eta = b["intercept"]! + 95 * b["dose_mean_gy"]! + b["hypoxic"]!
        let lesion = try #require((plan.json["lesions"] as? [[String: Any]])?.first)
        let p = try #require(lesion["expected_response"] as? Double)
        #expect(abs(p - 1 / (1 + exp(-eta))) < 1e-12)
        #expect(((plan.json["model"] as? [String: Any])?["source"] as? String)?.contains(model) == true)
    }

    private func compare(_ actual: Any?, _ expected: Any, path: String, tolerance: Double, problems: inout [String]) {
        let key = path.split(separator: ".").last.map(String.init) ?? path
        let tol = Self.pValueKeys.contains(key) ? 1e-4 : tolerance
        switch expected {
        case is NSNull:
            if !(actual is NSNull) { problems.append("\(path): \(actual ?? "absent"), expected null") }
        case let object as [String: Any]:
            guard let a = actual as? [String: Any] else { problems.append("\(path): \(actual ?? "absent"), expected an object"); return }
            if Set(a.keys) != Set(object.keys) { problems.append("\(path): keys \(a.keys.sorted()), expected \(object.keys.sorted())") }
            for (k, v) in object { compare(a[k], v, path: path + "." + k, tolerance: tol, problems: &problems) }
        case let array as [Any]:
            guard let a = actual as? [Any], a.count == array.count else { problems.append("\(path): \(actual ?? "absent"), expected \(array)"); return }
            for (i, v) in array.enumerated() { compare(a[i], v, path: path, tolerance: tol, problems: &problems) }
        case let number as NSNumber where String(cString: number.objCType) == "c":
            let a = actual as? NSNumber
            let same = a.map { String(cString: $0.objCType) == "c" ? $0.boolValue == number.boolValue : false } ?? (actual as? String == (number.boolValue ? "true" : "false"))
            if !same { problems.append("\(path): \(actual ?? "absent"), expected \(number.boolValue)") }
        case let number as NSNumber:
            guard let a = (actual as? NSNumber)?.doubleValue ?? (actual as? String).flatMap(Double.init) else {
                problems.append("\(path): \(actual ?? "absent"), expected \(number)"); return
            }
            let e = number.doubleValue
            let exact = ["youden_cutoff", "n", "n_rows", "dropped_rows", "n_positive", "above_positive", "above_negative",
                         "below_positive", "below_negative", "value"].contains(key)
            // Values that are 0 in exact arithmetic come out as ±1e-18 in both implementations.
            let ok = exact ? a == e : abs(a - e) <= max(tol * abs(e), 1e-12)
            if !ok { problems.append("\(path): \(a), expected \(e)") }
        case let text as String:
            if actual as? String != text { problems.append("\(path): \(actual ?? "absent"), expected \(text)") }
        default:
            problems.append("\(path): unexpected reference value \(expected)")
        }
    }
}
