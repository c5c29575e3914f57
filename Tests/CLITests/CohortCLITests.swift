import CohortStatistics
import Foundation
import Testing

/// `voxdose cohort` on small tables whose figures are worked out by hand (CONTRACT.md,
/// Docs/COHORT.md).
@Suite struct CohortCLITests {
    /// Ten lesions. Doses 89 (twice) and T/BP 1.29 (twice) sit exactly on the cut-offs.
    static let table = """
        label,dose_mean_gy,t_bp,hypoxic,response
        1,120,1.10,false,1
        2,60,1.50,true,0
        3,89,1.29,false,1
        4,95,1.80,true,0
        5,40,1.00,false,0
        6,150,1.29,true,1
        7,200,2.00,true,1
        8,89,1.20,false,0
        9,88,1.40,true,1
        10,110,1.70,false,0

        """

    static func write(_ w: Workspace, _ text: String, name: String = "cohort.csv") throws -> String {
        let path = w.path(name)
        try text.write(toFile: path, atomically: false, encoding: .utf8)
        return path
    }

    static func object(_ value: Any?) -> [String: Any] { value as? [String: Any] ?? [:] }

    @Test func keysAndHandComputedFigures() throws {
        let w = Workspace()
        let csv = try Self.write(w, Self.table)
        let r = voxdose(["cohort", csv, "--outcome", "response", "--cutoffs", "dose_mean_gy=89,t_bp=1.29"])
        #expect(r.status == 0, "\(r.stderr)")
        let doc = r.json
        #expect(Set(doc.keys) == ["schema", "voxdose_version", "n_rows", "dropped_rows", "n_positive", "outcome", "positive",
                                  "warnings", "predictors", "logistic"])
        #expect(doc["schema"] as? String == "voxdose.cohort/1" && doc["outcome"] as? String == "response")
        #expect(doc["n_rows"] as? Int == 10 && doc["dropped_rows"] as? Int == 0 && doc["n_positive"] as? Int == 5)
        #expect(doc["positive"] as? Int == 1 && (doc["warnings"] as? [Any])?.isEmpty == true)
        // Keys in the contract's order in the text itself.
        let order = ["\"schema\"", "\"voxdose_version\"", "\"n_rows\"", "\"dropped_rows\"", "\"n_positive\"", "\"outcome\"",
                     "\"positive\"", "\"warnings\"", "\"predictors\"", "\"logistic\""].map { r.stdout.range(of: $0)!.lowerBound }
        #expect(order == order.sorted())

        let predictors = Self.object(doc["predictors"])
        #expect(Set(predictors.keys) == ["dose_mean_gy", "t_bp", "hypoxic"])  // label is never a default predictor
        let dose = Self.object(predictors["dose_mean_gy"])
        #expect(Set(dose.keys) == ["n", "roc", "mann_whitney_u", "mann_whitney_p", "cutoff"])
        #expect(Self.object(predictors["hypoxic"])["cutoff"] == nil)  // no cut-off given: no key
        #expect(dose["n"] as? Int == 10)
        // Positives 120, 89, 150, 200, 88 against negatives 60, 95, 40, 89, 110: U = 5 + 2.5 + 5 + 5 + 2 = 19.5.
        let roc = Self.object(dose["roc"])
        #expect(Set(roc.keys) == ["auc", "auc_ci95", "direction", "youden_cutoff", "sensitivity", "specificity"])
        #expect(close(roc["auc"], 0.78, rel: 1e-12) && roc["direction"] as? String == "greater")
        // Youden ("greater", value > c): c = 110 catches 120, 150, 200 and no negative: J = 0.6 + 1 − 1, the maximum.
        #expect(close(roc["youden_cutoff"], 110) && close(roc["sensitivity"], 0.6) && close(roc["specificity"], 1))
        let ci = try #require(roc["auc_ci95"] as? [Double])
        #expect(ci.count == 2 && ci[0] < 0.78 && ci[1] <= 1)
        #expect(close(dose["mann_whitney_u"], 19.5))
        // μ = 12.5; one tie group of 2 (89): σ² = 25/12·(11 − 6/90); z = (7 − ½)/σ.
        let z = 6.5 / (25.0 / 12 * (11 - 6.0 / 90)).squareRoot()
        #expect(close(dose["mann_whitney_p"], erfc(z / 2.0.squareRoot()), rel: 1e-12))

        // Strict cut-off at 89: both 89s are below. Above: 120+, 95−, 150+, 200+, 110−.
        let cutoff = Self.object(dose["cutoff"])
        #expect(Set(cutoff.keys) == ["value", "table", "response_above_pct", "response_below_pct", "chi2", "chi2_p",
                                     "chi2_yates_p", "fisher_p"])
        #expect(close(cutoff["value"], 89))
        #expect(Self.object(cutoff["table"]) as NSDictionary == ["above_positive": 3, "above_negative": 2,
                                                                 "below_positive": 2, "below_negative": 3] as NSDictionary)
        #expect(close(cutoff["response_above_pct"], 60) && close(cutoff["response_below_pct"], 40))
        // [[3, 2], [2, 3]]: χ² = 10·5²/5⁴ = 0.4; Yates removes |O − E| = ½ entirely; Fisher: every table
        // with these margins is at most as likely as the observed (100/252), so p = 1.
        #expect(close(cutoff["chi2"], 0.4, rel: 1e-12) && close(cutoff["chi2_p"], erfc(0.2.squareRoot()), rel: 1e-12))
        #expect(close(cutoff["chi2_yates_p"], 1) && close(cutoff["fisher_p"], 1))
        // Strict cut-off at 1.29: both 1.29s are below. Above: 1.50−, 1.80−, 2.00+, 1.40+, 1.70−.
        let ratio = Self.object(Self.object(predictors["t_bp"])["cutoff"])
        #expect(Self.object(ratio["table"]) as NSDictionary == ["above_positive": 2, "above_negative": 3,
                                                                "below_positive": 3, "below_negative": 2] as NSDictionary)

        // Logistic: the boolean predictor's univariable fit is the closed-form 2×2 MLE:
        // hypoxic rows 3+ 2−, others 2+ 3−: coef = ln(3·3/(2·2)), SE = √(1/3 + 1/2 + 1/2 + 1/3).
        let logistic = Self.object(doc["logistic"])
        #expect(Set(logistic.keys) == ["univariable", "multivariable"])
        let hypoxic = Self.object(Self.object(logistic["univariable"])["hypoxic"])
        #expect(Set(hypoxic.keys) == ["n", "converged", "separation", "terms"])
        #expect(hypoxic["n"] as? Int == 10 && hypoxic["converged"] as? Bool == true && hypoxic["separation"] as? Bool == false)
        let terms = Self.object(hypoxic["terms"])
        #expect(Set(terms.keys) == ["intercept", "hypoxic"])
        let term = Self.object(terms["hypoxic"])
        #expect(Set(term.keys) == ["coef", "se", "z", "p", "odds_ratio", "or_ci95"])
        let se = (5.0 / 3).squareRoot()
        #expect(close(term["coef"], log(2.25), rel: 1e-9) && close(term["se"], se, rel: 1e-9))
        #expect(close(term["odds_ratio"], 2.25, rel: 1e-9) && close(term["z"], log(2.25) / se, rel: 1e-9))
        let orCI = try #require(term["or_ci95"] as? [Double])
        #expect(close(orCI[0], 2.25 * exp(-1.959964 * se), rel: 1e-9) && close(orCI[1], 2.25 * exp(1.959964 * se), rel: 1e-9))
        #expect(close(Self.object(terms["intercept"])["coef"], log(2.0 / 3), rel: 1e-9))
        let multivariable = Self.object(logistic["multivariable"])
        #expect(multivariable["converged"] as? Bool == true && Set(Self.object(multivariable["terms"]).keys)
                == ["intercept", "dose_mean_gy", "t_bp", "hypoxic"])
    }

    /// Every missing token drops its row (listwise) from every analysis, wherever it sits in a
    /// used column; a missing value in an unused column drops nothing.
    @Test func listwiseDeletionWithEveryMissingToken() throws {
        let w = Workspace()
        let base = try Self.write(w, Self.table, name: "base.csv")
        var text = Self.table
        let tokens = ["", "NA", "NaN", "null", ".", "na", "nan", "NULL", " NA ", "\"NA\""]
        for (i, token) in tokens.enumerated() {
            switch i % 4 {
            case 0: text += "\(20 + i),\(token),1.3,true,1\n"
            case 1: text += "\(20 + i),70,\(token),false,0\n"
            case 2: text += "\(20 + i),70,1.3,\(token),1\n"
            default: text += "\(20 + i),70,1.3,false,\(token)\n"
            }
        }
        let padded = try Self.write(w, text, name: "padded.csv")
        let a = voxdose(["cohort", base, "--outcome", "response", "--cutoffs", "dose_mean_gy=89"])
        let b = voxdose(["cohort", padded, "--outcome", "response", "--cutoffs", "dose_mean_gy=89"])
        #expect(a.status == 0 && b.status == 0, "\(b.stderr)")
        #expect(b.json["n_rows"] as? Int == 10 + tokens.count && b.json["dropped_rows"] as? Int == tokens.count)
        #expect(b.json["n_positive"] as? Int == 5)
        #expect(difference(b.json["predictors"], a.json["predictors"], rel: 1e-12) == nil)
        #expect(difference(b.json["logistic"], a.json["logistic"], rel: 1e-9) == nil)
        // With dose alone, the rows missing only t_bp or hypoxic come back.
        let c = voxdose(["cohort", padded, "--outcome", "response", "--predictors", "dose_mean_gy"])
        #expect(c.json["dropped_rows"] as? Int == 5 && c.json["n_rows"] as? Int == 20)  // 3 without dose, 2 without response
        #expect(Set(Self.object(c.json["predictors"]).keys) == ["dose_mean_gy"])
    }

    @Test func outcomeRules() throws {
        let w = Workspace()
        let csv = try Self.write(w, """
            label,dose,grade,responder,score
            1,10,high,true,3
            2,20,low,FALSE,1
            3,30,high,True,3
            4,40,low,false,2
            5,50,high,NA,3

            """)
        // A text outcome without --positive: exit 1, naming the column and the file.
        let text = voxdose(["cohort", csv, "--outcome", "grade"])
        #expect(text.status == 1 && text.stderr.hasPrefix("error: ") && text.stderr.contains("\"grade\"") && text.stderr.contains(csv))
        #expect(text.stdout.isEmpty)
        let high = voxdose(["cohort", csv, "--outcome", "grade", "--positive", "high", "--predictors", "dose"])
        #expect(high.status == 0 && high.json["positive"] as? String == "high" && high.json["n_positive"] as? Int == 3, "\(high.stderr)")
        // A boolean outcome: positive true by default (any case); the NA row is dropped.
        let flag = voxdose(["cohort", csv, "--outcome", "responder", "--predictors", "dose"])
        #expect(flag.status == 0 && flag.json["positive"] as? Bool == true && flag.json["n_positive"] as? Int == 2)
        #expect(flag.json["dropped_rows"] as? Int == 1)
        let no = voxdose(["cohort", csv, "--outcome", "responder", "--positive", "false", "--predictors", "dose"])
        #expect(no.json["positive"] as? Bool == false && no.json["n_positive"] as? Int == 2)
        // Numbers other than 0/1 need --positive, compared as numbers.
        #expect(voxdose(["cohort", csv, "--outcome", "score", "--predictors", "dose"]).status == 1)
        let three = voxdose(["cohort", csv, "--outcome", "score", "--positive", "3.0", "--predictors", "dose"])
        #expect(three.status == 0 && three.json["positive"] as? Int == 3 && three.json["n_positive"] as? Int == 3)
        // The default predictors exclude the outcome and label; the text and boolean columns:
        // text is never a predictor, booleans are.
        let defaults = voxdose(["cohort", csv, "--outcome", "score", "--positive", "3"])
        #expect(Set(Self.object(defaults.json["predictors"]).keys) == ["dose", "responder"])
        // An outcome whose kept rows are all of one class: null blocks and a warning, exit 0.
        let one = voxdose(["cohort", csv, "--outcome", "grade", "--positive", "none", "--predictors", "dose", "--cutoffs", "dose=25"])
        #expect(one.status == 0 && one.json["n_positive"] as? Int == 0)
        let dose = Self.object(Self.object(one.json["predictors"])["dose"])
        #expect(dose["roc"] is NSNull && dose["mann_whitney_u"] is NSNull && dose["mann_whitney_p"] is NSNull && dose["cutoff"] is NSNull)
        #expect(Self.object(Self.object(one.json["logistic"])["univariable"])["dose"] is NSNull)
        #expect(Self.object(one.json["logistic"])["multivariable"] is NSNull && (one.json["warnings"] as? [String])?.count == 1)
    }

    @Test func exitCodes() throws {
        let w = Workspace()
        let csv = try Self.write(w, Self.table)
        // Unknown columns: exit 1 naming the column and the file.
        for (args, column) in [(["--outcome", "responder"], "responder"),
                               (["--outcome", "response", "--predictors", "dose_mean_gy,volume_ml"], "volume_ml"),
                               (["--outcome", "response", "--cutoffs", "t_m=1.5"], "t_m")] {
            let r = voxdose(["cohort", csv] + args)
            #expect(r.status == 1 && r.stderr.hasPrefix("error: ") && r.stderr.contains("\"\(column)\"") && r.stderr.contains(csv),
                    "\(args): \(r.status) \(r.stderr)")
            #expect(r.stdout.isEmpty && r.stderr.split(separator: "\n").count == 1)
        }
        // Unparsable --cutoffs and --predictors, and a missing --outcome: bad usage, 64, with the usage line.
        for args in [["--cutoffs", "dose_mean_gy"], ["--cutoffs", "dose_mean_gy=abc"], ["--cutoffs", "=89"],
                     ["--cutoffs", "dose_mean_gy=89,dose_mean_gy=90"], ["--cutoffs", "dose_mean_gy=inf"], ["--cutoffs", ""],
                     ["--cutoffs", "dose_mean_gy=89,"], ["--predictors", "a,,b"], ["--bogus"]] {
            let r = voxdose(["cohort", csv, "--outcome", "response"] + args)
            #expect(r.status == 64 && r.stderr.lowercased().contains("usage"), "\(args): \(r.status) \(r.stderr)")
        }
        #expect(voxdose(["cohort", csv]).status == 64)
        // Empty tables, no kept rows, a missing file: exit 1.
        for (name, text) in [("empty.csv", ""), ("header.csv", "label,dose,response\n"),
                             ("incomplete.csv", "dose,response\n1,NA\nNA,0\n.,1\n")] {
            let path = try Self.write(w, text, name: name)
            let r = voxdose(["cohort", path, "--outcome", "response"])
            #expect(r.status == 1 && r.stderr.hasPrefix("error: ") && r.stderr.contains(path), "\(name): \(r.stderr)")
        }
        #expect(voxdose(["cohort", w.path("absent.csv"), "--outcome", "response"]).status == 1)
        // A ragged row is bad input naming the line.
        let ragged = try Self.write(w, "dose,response\n1,0\n2\n", name: "ragged.csv")
        let r = voxdose(["cohort", ragged, "--outcome", "response"])
        #expect(r.status == 1 && r.stderr.contains("line 3"))
    }

    @Test func fitFileRoundTrip() throws {
        let w = Workspace()
        let csv = try Self.write(w, Self.table)
        let model = w.path("model.json"), out = w.path("cohort.json")
        let r = voxdose(["cohort", csv, "--outcome", "response", "--predictors", "dose_mean_gy,hypoxic", "--fit", model, "--out", out])
        #expect(r.status == 0 && r.stdout.isEmpty, "\(r.stderr)")
        // JSONDecoder reads numbers correctly rounded (Linux's JSONSerialization may miss the last bit).
        struct Term: Decodable { var coef: Double; var se: Double }
        struct Fit: Decodable { var terms: [String: Term] }
        struct Logistic: Decodable { var multivariable: Fit }
        struct Document: Decodable { var logistic: Logistic }
        let terms = try JSONDecoder().decode(Document.self, from: Data(contentsOf: URL(fileURLWithPath: out))).logistic.multivariable.terms
        let read = try LogisticModel.read(contentsOfFile: model)
        #expect(read.outcome == "response" && read.positive == .number(1) && read.n == 10 && read.source == csv)
        #expect(read.termOrder == ["intercept", "dose_mean_gy", "hypoxic"])
        // The coefficients and standard errors are the multivariable fit's, to the last bit.
        for (j, name) in read.termOrder.enumerated() {
            #expect(terms[name]?.coef == read.coefficients[j], "\(name)")
            #expect(terms[name]?.se == read.covariance[j][j].squareRoot(), "\(name)")
        }
        let file = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: URL(fileURLWithPath: model))) as? [String: Any])
        #expect(Set(file.keys) == ["schema", "voxdose_version", "outcome", "positive", "terms", "term_order", "covariance", "n", "source"])
        #expect(file["schema"] as? String == "voxdose.model/1")
        // The model's prediction for a lesion is σ of the fitted linear predictor.
        let p = try #require(read.probability(for: ["dose_mean_gy": 100, "hypoxic": 1]))
        let eta = read.coefficients[0] + 100 * read.coefficients[1] + read.coefficients[2]
        #expect(close(p, 1 / (1 + exp(-eta)), rel: 1e-14))
        #expect(w.listing == ["cohort.csv", "cohort.json", "model.json"])
    }

    /// --fit of a separated or singular multivariable fit: exit 1, no model and no JSON written,
    /// no temporary file left.
    @Test func fitRefusedWithoutAModel() throws {
        let w = Workspace()
        let csv = try Self.write(w, """
            dose,constant,response
            10,1,0
            20,1,0
            30,1,0
            40,1,1
            50,1,1
            60,1,1

            """)
        let model = w.path("model.json"), out = w.path("out.json")
        let separated = voxdose(["cohort", csv, "--outcome", "response", "--predictors", "dose", "--fit", model, "--out", out])
        #expect(separated.status == 1 && separated.stderr.contains("separated") && separated.stderr.contains("--fit"), "\(separated.stderr)")
        // Without --fit the same analysis succeeds and reports the separation.
        let plain = voxdose(["cohort", csv, "--outcome", "response", "--predictors", "dose"])
        #expect(plain.status == 0)
        let fit = Self.object(Self.object(plain.json["logistic"])["multivariable"])
        #expect(fit["separation"] as? Bool == true && fit["converged"] as? Bool == false && fit["terms"] is NSNull)
        let warnings = plain.json["warnings"] as? [String] ?? []
        #expect(warnings.count == 2 && warnings.last?.contains("on dose:") == true)  // univariable and multivariable
        let singular = voxdose(["cohort", csv, "--outcome", "response", "--predictors", "constant", "--fit", model])
        #expect(singular.status == 1 && singular.stderr.contains("singular"), "\(singular.stderr)")
        #expect(w.listing == ["cohort.csv"])
    }

    @Test func outputSafety() throws {
        let w = Workspace()
        let csv = try Self.write(w, Self.table)
        let before = try String(contentsOfFile: csv, encoding: .utf8)
        #expect(voxdose(["cohort", csv, "--outcome", "response", "--out", csv]).status == 1)
        #expect(voxdose(["cohort", csv, "--outcome", "response", "--predictors", "dose_mean_gy", "--fit", csv]).status == 1)
        let both = voxdose(["cohort", csv, "--outcome", "response", "--predictors", "dose_mean_gy",
                            "--fit", w.path("x.json"), "--out", w.path("./x.json")])
        #expect(both.status == 1)
        #expect(try String(contentsOfFile: csv, encoding: .utf8) == before && w.listing == ["cohort.csv"])
    }

    /// The lesion table's CSV works as is: label is skipped, the empty `name` and EUD columns
    /// and text columns are not predictors, the boolean `hypoxic` is.
    @Test func lesionTableCSV() throws {
        let w = Workspace()
        let s = try LesionsCLITests.scene(w)
        let csv = w.path("lesions.csv")
        let lesions = voxdose(["lesions", "--labels", s.labels, "--dose", s.dose, "--suv", s.suv, "--blood-pool-label", "9", "--csv", csv])
        #expect(lesions.status == 0, "\(lesions.stderr)")
        var lines = try String(contentsOfFile: csv, encoding: .utf8).split(separator: "\n").map(String.init)
        lines[0] += ",response"
        for i in 1..<lines.count { lines[i] += i == 1 ? ",1" : ",0" }
        let table = try Self.write(w, lines.joined(separator: "\n") + "\n", name: "joined.csv")
        let r = voxdose(["cohort", table, "--outcome", "response"])
        #expect(r.status == 0, "\(r.stderr)")
        let names = Set(Self.object(r.json["predictors"]).keys)
        #expect(names.contains("dose_mean_gy") && names.contains("hypoxic") && names.contains("t_bp"))
        #expect(!names.contains("label") && !names.contains("name") && !names.contains("dose_eud_gy"))
        #expect(r.json["dropped_rows"] as? Int == 0)
    }
}
