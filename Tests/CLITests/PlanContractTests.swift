import Foundation
import Testing

// Black-box tests of `voxdose plan` against /work/shared/CONTRACT.md ("Conventions for every
// command" and "voxdose plan LESIONS.json"), REFERENCE.md §4 and §6 cases 6–7, and the
// `voxdose.model/1` format of Docs/COHORT.md. Every lesion table and model file is written here by
// hand, and every expected number is computed here from the contract's formulas (the arithmetic is in
// the comments); nothing is pasted from the tool's output.

// MARK: - Numbers the contract and the reference fix

/// REFERENCE §1: LDM conversion factor K, Gy·kg/GBq.
private let ldmK = 49.67
/// CONTRACT: the 95 % interval is the linear predictor ± 1.959964 × its standard error.
private let z95 = 1.959964

private func sigma(_ x: Double) -> Double { 1 / (1 + exp(-x)) }
private func logit(_ p: Double) -> Double { log(p / (1 - p)) }
/// REFERENCE §2: BSA (DuBois) = 0.007184 · H[cm]^0.725 · W[kg]^0.425 m².
private func duBois(kg w: Double, cm h: Double) -> Double { 0.007184 * pow(h, 0.725) * pow(w, 0.425) }

// MARK: - A response model as the test writes it (voxdose.model/1, Docs/COHORT.md)

private struct Model {
    var terms: [(name: String, coef: Double)]
    var covariance: [[Double]]

    var names: [String] { terms.map(\.name) }
    func coef(_ name: String) -> Double { terms.first { $0.name == name }?.coef ?? 0 }

    /// The term vector in `term_order`: `intercept` = 1, every other term from the lesion's values.
    func vector(_ x: [String: Double]) -> [Double] { names.map { $0 == "intercept" ? 1 : x[$0]! } }
    /// η = Σ coef·term.
    func eta(_ x: [String: Double]) -> Double { zip(terms, vector(x)).reduce(0) { $0 + $1.0.coef * $1.1 } }
    /// xᵀ Σ x.
    func variance(_ x: [String: Double]) -> Double {
        let v = vector(x)
        var s = 0.0
        for i in v.indices { for j in v.indices { s += v[i] * covariance[i][j] * v[j] } }
        return s
    }
    func p(_ x: [String: Double]) -> Double { sigma(eta(x)) }
    /// [σ(η − 1.959964·SE), σ(η + 1.959964·SE)].
    func ci(_ x: [String: Double]) -> [Double] {
        let e = eta(x), se = variance(x).squareRoot()
        return [sigma(e - z95 * se), sigma(e + z95 * se)]
    }
    /// The smallest Dmean ≥ 0 reaching `target` with the other terms fixed: (logit P* − other terms)/b_dose,
    /// 0 when reached at 0 Gy, nil when no dose reaches it (b_dose ≤ 0).
    func doseNeeded(_ target: Double, _ x: [String: Double]) -> Double? {
        var atZero = x
        atZero["dose_mean_gy"] = 0
        let other = eta(atZero), b = coef("dose_mean_gy")
        if other >= logit(target) { return 0 }
        guard b > 0 else { return nil }
        return (logit(target) - other) / b
    }

    var json: [String: Any] {
        var t: [String: Any] = [:]
        for term in terms { t[term.name] = term.coef }
        return ["schema": "voxdose.model/1", "voxdose_version": "test", "outcome": "responder", "positive": "1",
                "terms": t, "term_order": names, "covariance": covariance, "n": 54, "source": "cohort.csv"]
    }
}

/// M1: P = σ(−3 + 0.04·Dmean − 1.5·hypoxic), covariance (intercept, dose, hypoxic)
/// [[0.25, −0.002, 0], [−0.002, 0.0001, 0], [0, 0, 0.16]] (positive definite: 0.25·0.0001 − 0.002² = 2.1e-5 > 0).
private let m1 = Model(terms: [("intercept", -3), ("dose_mean_gy", 0.04), ("hypoxic", -1.5)],
                       covariance: [[0.25, -0.002, 0], [-0.002, 0.0001, 0], [0, 0, 0.16]])

private func diagonal(_ values: [Double]) -> [[Double]] {
    values.indices.map { i in values.indices.map { j in i == j ? values[i] : 0 } }
}

// MARK: - Lesion tables (voxdose.lesions/1) written by hand

/// One lesion as `voxdose lesions` writes it with a dose map and (when `suv`) an SUV map with a blood
/// pool but no muscle (so `t_m` is absent). `hypoxic` is written as given (default t_bp > 1.29).
private func lesion(_ label: Int, mean: Double?, tbp: Double?, hypoxic: Any? = nil, name: String? = nil,
                    d70: Double? = nil, v100: Double = 50, suv: Bool = true) -> [String: Any] {
    let null = NSNull()
    var l: [String: Any] = ["label": label, "name": name ?? "lesion \(label)", "voxels": 100, "volume_ml": 0.8]
    let m = mean ?? 0
    /// A figure of the dose block: `factor`·Dmean, or null without a Dmean.
    func f(_ factor: Double) -> Any { mean == nil ? null : factor * m }
    var d: [String: Any] = [:]
    d["2"] = f(1.4)
    d["50"] = f(1)
    d["70"] = d70 ?? f(0.8)
    d["90"] = f(0.6)
    d["98"] = f(0.55)
    var dose: [String: Any] = [:]
    dose["nan_voxels"] = mean == nil ? 100 : 0
    dose["mean_gy"] = f(1)
    dose["std_gy"] = f(0.05)
    dose["min_gy"] = f(0.5)
    dose["max_gy"] = f(1.5)
    dose["median_gy"] = f(1)
    dose["d"] = d
    dose["v_pct"] = ["50": 100.0, "89": 60.0, "100": v100, "120": 20.0, "205": 0.0] as [String: Double]
    dose["eud_gy"] = f(0.9)
    dose["bed_gy"] = f(1.1)
    l["dose"] = dose
    if suv {
        l["suv"] = ["nan_voxels": 0, "max": 3.0, "mean": 2.0, "peak": 2.5, "std": 0.4]
        l["t_bp"] = tbp ?? null
        l["hypoxic"] = hypoxic ?? (tbp.map { $0 > 1.29 } ?? null)
        l["hypoxic_volume_ml"] = 0.2
        l["hypoxic_fraction"] = 0.25
    }
    return l
}

/// A table; `activityGBq` nil writes `parameters.activity_gbq` null (`dropActivity` leaves the key out),
/// `normalLiverGy` nil leaves `references` empty.
private func lesionTable(_ lesions: [[String: Any]], activityGBq: Double? = 2.0, dropActivity: Bool = false,
                         normalLiverGy: Double? = 20) -> [String: Any] {
    var refs: [String: Any] = ["blood_pool_suv_mean": 2.0]
    if let normalLiverGy { refs["normal_liver_dose_mean_gy"] = normalLiverGy }
    var params: [String: Any] = ["dx": [2, 50, 70, 90, 98], "vx_gy": [50, 89, 100, 120, 205], "dvh_bin_gy": 1,
                                 "hypoxia_cutoff": 1.29, "hypoxic_volume_cutoff": 1.2, "hypoxia_statistic": "max",
                                 "eud_alpha_per_gy": NSNull(), "bed_alpha_beta_gy": 10, "bed_repair_half_time_h": 1.5,
                                 "half_life_h": 64.05, "suvpeak_radius_mm": 6.204]
    if !dropActivity { params["activity_gbq"] = activityGBq ?? NSNull() }
    return ["schema": "voxdose.lesions/1", "voxdose_version": "test", "lesions": lesions, "references": refs,
            "parameters": params]
}

// MARK: - Reading the output

private func num(_ value: Any?) -> Double? { (value as? NSNumber)?.doubleValue }

private func isNull(_ dict: [String: Any]?, _ key: String) -> Bool {
    guard let dict, dict.keys.contains(key) else { return false }
    return dict[key] is NSNull
}

private func approx(_ a: Double?, _ b: Double, rel: Double = 1e-6, abs: Double = 1e-12) -> Bool {
    guard let a else { return false }
    return Swift.abs(a - b) <= rel * max(Swift.abs(a), Swift.abs(b)) + abs
}

private func expectNum(_ dict: [String: Any]?, _ key: String, _ expected: Double, rel: Double = 1e-6, abs: Double = 1e-12,
                       _ context: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    let value = dict?[key]
    #expect(approx(num(value), expected, rel: rel, abs: abs),
            "\(context) \(key) = \(String(describing: value)), expected \(expected)", sourceLocation: sourceLocation)
}

private func expectNullKey(_ dict: [String: Any]?, _ key: String, _ context: String = "",
                           sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(isNull(dict, key), "\(context) \(key) should be null (present): \(String(describing: dict?[key]))",
            sourceLocation: sourceLocation)
}

private func expectNote(_ dict: [String: Any]?, _ context: String = "", sourceLocation: SourceLocation = #_sourceLocation) {
    let note = dict?["response_note"] as? String
    #expect(note.map { !$0.trimmingCharacters(in: .whitespaces).isEmpty } == true,
            "\(context) response_note should say why: \(String(describing: dict?["response_note"]))",
            sourceLocation: sourceLocation)
}

private struct Plan {
    var run: RunResult
    var doc: [String: Any]
    var lesions: [[String: Any]] { doc["lesions"] as? [[String: Any]] ?? [] }
    func lesion(_ label: Int) -> [String: Any]? { lesions.first { num($0["label"]) == Double(label) } }
    var prescription: [String: Any]? { doc["prescription"] as? [String: Any] }
    func prescribed(_ label: Int) -> [String: Any]? {
        (prescription?["lesions"] as? [[String: Any]])?.first { num($0["label"]) == Double(label) }
    }
    var warnings: [String] { doc["warnings"] as? [String] ?? [] }
}

/// Runs `voxdose plan args…`: exit 0 and one JSON object on stdout.
private func plan(_ args: [String], sourceLocation: SourceLocation = #_sourceLocation) throws -> Plan {
    let run = voxdose(["plan"] + args)
    try #require(run.status == 0, "plan \(args): exit \(run.status), stderr: \(run.stderr)", sourceLocation: sourceLocation)
    let doc = try #require((try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any],
                           "plan \(args): stdout is not one JSON object: \(run.stdout.prefix(300))",
                           sourceLocation: sourceLocation)
    return Plan(run: run, doc: doc)
}

/// Exit 64, a usage line on stderr, nothing on stdout, nothing written in `ws`.
@discardableResult
private func expectUsageError(_ ws: Workspace, _ args: [String], sourceLocation: SourceLocation = #_sourceLocation) -> RunResult {
    let before = ws.listing
    let run = voxdose(["plan"] + args)
    #expect(run.status == 64, "\(args): exit \(run.status), stderr: \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stderr.lowercased().contains("usage"), "\(args): no usage line: \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stdout.isEmpty, "\(args): stdout: \(run.stdout.prefix(200))", sourceLocation: sourceLocation)
    #expect(ws.listing == before, "\(args): written on refusal: \(ws.listing) (before \(before))", sourceLocation: sourceLocation)
    return run
}

/// Exit 1, nothing on stdout, ONE stderr line starting `error: ` containing every string of `naming`,
/// nothing written in `ws`.
@discardableResult
private func expectInputError(_ ws: Workspace, _ args: [String], naming: [String],
                              sourceLocation: SourceLocation = #_sourceLocation) -> RunResult {
    let before = ws.listing
    let run = voxdose(["plan"] + args)
    #expect(run.status == 1, "\(args): exit \(run.status), stderr: \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stdout.isEmpty, "\(args): stdout: \(run.stdout.prefix(200))", sourceLocation: sourceLocation)
    var text = run.stderr
    if text.hasSuffix("\n") { text.removeLast() }
    #expect(!text.isEmpty && !text.contains("\n"), "\(args): stderr is not one line: \(run.stderr)", sourceLocation: sourceLocation)
    #expect(text.hasPrefix("error: "), "\(args): \(text)", sourceLocation: sourceLocation)
    for name in naming {
        #expect(text.contains(name), "\(args): \"\(text)\" should name \(name)", sourceLocation: sourceLocation)
    }
    #expect(ws.listing == before, "\(args): written on refusal: \(ws.listing) (before \(before))", sourceLocation: sourceLocation)
    return run
}

/// A refusal whose exit status the contract leaves open between "missing information" (1) and
/// "bad usage" (64). Exit 1: ONE stderr line starting `error: ` that names every string of `naming`;
/// exit 64: the usage line, and stderr names every string of `naming`. Nothing on stdout, nothing written.
@discardableResult
private func expectRefusal(_ ws: Workspace, _ args: [String], naming: [String],
                           sourceLocation: SourceLocation = #_sourceLocation) -> RunResult {
    let before = ws.listing
    let run = voxdose(["plan"] + args)
    #expect(run.status == 1 || run.status == 64, "\(args): exit \(run.status), stderr: \(run.stderr)", sourceLocation: sourceLocation)
    #expect(run.stdout.isEmpty, "\(args): stdout: \(run.stdout.prefix(200))", sourceLocation: sourceLocation)
    if run.status == 1 {
        var text = run.stderr
        if text.hasSuffix("\n") { text.removeLast() }
        #expect(!text.isEmpty && !text.contains("\n"), "\(args): stderr is not one line: \(run.stderr)", sourceLocation: sourceLocation)
        #expect(text.hasPrefix("error: "), "\(args): \(text)", sourceLocation: sourceLocation)
    } else if run.status == 64 {
        #expect(run.stderr.lowercased().contains("usage"), "\(args): no usage line: \(run.stderr)", sourceLocation: sourceLocation)
    }
    for name in naming {
        #expect(run.stderr.contains(name), "\(args): \"\(run.stderr)\" should name \(name)", sourceLocation: sourceLocation)
    }
    #expect(ws.listing == before, "\(args): written on refusal: \(ws.listing) (before \(before))", sourceLocation: sourceLocation)
    return run
}

/// Every key (recursively) of a JSON value.
private func allKeys(_ value: Any) -> [String] {
    switch value {
    case let d as [String: Any]: return d.keys + d.values.flatMap(allKeys)
    case let a as [Any]: return a.flatMap(allKeys)
    default: return []
    }
}

/// The activity (GBq) at which a lesion of dose `dmean` at A0 reaches `needed`: D·A(1 − F)/A0 = needed.
private func activityFor(needed: Double, dmean: Double, a0: Double, lsf: Double) -> Double {
    needed * a0 / (dmean * (1 - lsf))
}

/// The lesion terms M1 reads (Dmean, hypoxic as 0/1 recomputed from t_bp > 1.29).
private func x(_ dmean: Double, hypoxic: Bool) -> [String: Double] {
    ["dose_mean_gy": dmean, "hypoxic": hypoxic ? 1 : 0]
}

// MARK: - The tests

@Suite struct PlanContractTests {

    // MARK: Conventions for every command

    @Suite struct Conventions {
        /// One object with `"schema": "voxdose.plan/1"`, `voxdose_version`, snake_case keys, and a
        /// `warnings` list always present: with a lesion table, with `--partition` alone and `--bsa` alone.
        @Test func schemaVersionKeysAndWarnings() throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable([lesion(1, mean: 95, tbp: 1.1), lesion(2, mean: 60, tbp: 1.5)]))
            let runs = [
                try plan([table]),
                try plan([table, "--lung-shunt", "0.05"]),
                try plan(["--partition", "--tumour-mass", "0.2kg", "--normal-liver-mass", "1.3kg", "--tnr", "3", "--lung-shunt", "0.08"]),
                try plan(["--bsa", "--weight", "70kg", "--height", "175", "--tumour-volume", "300", "--liver-volume", "1500",
                          "--lung-shunt", "0.05"]),
            ]
            for r in runs {
                #expect(r.doc["schema"] as? String == "voxdose.plan/1", "schema \(String(describing: r.doc["schema"]))")
                #expect((r.doc["voxdose_version"] as? String)?.isEmpty == false, "voxdose_version \(String(describing: r.doc["voxdose_version"]))")
                #expect(r.doc["warnings"] is [Any], "warnings must always be a list: \(String(describing: r.doc["warnings"]))")
                for key in allKeys(r.doc) {
                    // Keys are snake_case; term names and labels keyed objects may hold digits.
                    #expect(key.allSatisfy { $0.isLowercase || $0.isNumber || $0 == "_" }, "key \(key) is not snake_case")
                }
            }
            #expect(runs[0].lesions.count == 2, "lesions: \(runs[0].lesions)")
            // Without --lung-shunt, --partition, --bsa: no prescription, partition or bsa block.
            for key in ["prescription", "partition", "bsa"] {
                #expect(runs[0].doc[key] == nil || runs[0].doc[key] is NSNull, "\(key) without asking: \(String(describing: runs[0].doc[key]))")
            }
            #expect(runs[1].doc["partition"] == nil || runs[1].doc["partition"] is NSNull, "partition without --partition")
            #expect(runs[1].doc["bsa"] == nil || runs[1].doc["bsa"] is NSNull, "bsa without --bsa")
            // --quiet changes nothing on stdout.
            let quiet = try plan([table, "--lung-shunt", "0.05", "--quiet"])
            #expect(difference(quiet.doc, runs[1].doc) == nil, "--quiet: \(difference(quiet.doc, runs[1].doc) ?? "")")
        }

        /// "JSON goes to stdout unless `--out` names a file": the file holds the same document, stdout
        /// holds no JSON, and no temporary file is left.
        @Test func outFile() throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable([lesion(1, mean: 95, tbp: 1.1)]))
            let model = try ws.json("model.json", m1.json)
            let plain = try plan([table, "--model", model, "--lung-shunt", "0.05"])
            let out = ws.path("plan.json")
            let run = voxdose(["plan", table, "--model", model, "--lung-shunt", "0.05", "--out", out])
            #expect(run.status == 0, "exit \(run.status): \(run.stderr)")
            #expect(run.stdout.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty, "stdout with --out: \(run.stdout.prefix(200))")
            let text = (try? String(contentsOfFile: out, encoding: .utf8)) ?? ""
            let doc = try #require((try? JSONSerialization.jsonObject(with: Data(text.utf8))) as? [String: Any],
                                   "--out file is not one JSON object: \(text.prefix(200))")
            #expect(difference(doc, plain.doc) == nil, "--out differs from stdout: \(difference(doc, plain.doc) ?? "")")
            #expect(ws.listing == ["model.json", "plan.json", "table.json"], "folder: \(ws.listing)")
        }

        /// An output that is the same file as an input (same path, the same path after resolving `.`
        /// and `..`, a link) is refused with exit 1; the input is untouched and nothing is written.
        @Test func outputSameAsInputRefused() throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable([lesion(1, mean: 95, tbp: 1.1)]))
            let model = try ws.json("model.json", m1.json)
            try FileManager.default.createDirectory(atPath: ws.path("sub"), withIntermediateDirectories: true)
            try FileManager.default.createSymbolicLink(atPath: ws.path("link.json"), withDestinationPath: table)
            let tableBytes = try Data(contentsOf: URL(fileURLWithPath: table))
            let modelBytes = try Data(contentsOf: URL(fileURLWithPath: model))
            let cases: [[String]] = [
                [table, "--out", table],
                [table, "--out", ws.folder.path + "/sub/../table.json"],
                [table, "--out", ws.folder.path + "/./table.json"],
                [table, "--out", ws.path("link.json")],
                [ws.path("link.json"), "--out", table],
                [table, "--model", model, "--out", model],
                [table, "--lung-shunt", "0.05", "--out", table],
            ]
            for args in cases {
                expectInputError(ws, args, naming: [])
                #expect(try Data(contentsOf: URL(fileURLWithPath: table)) == tableBytes, "\(args): input changed")
                #expect(try Data(contentsOf: URL(fileURLWithPath: model)) == modelBytes, "\(args): model changed")
            }
        }

        /// Exit 64 with the usage line: an unknown option, a value that does not parse, a value out of
        /// range (`--lung-shunt 1.5`).
        @Test func badUsage() throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable([lesion(1, mean: 95, tbp: 1.1)]))
            let out = ws.path("plan.json")
            let cases: [[String]] = [
                [table, "--no-such-option"],
                [table, "--out", out, "--frobnicate", "3"],
                [table, "--dose-cutoff", "abc"],
                [table, "--hypoxia-cutoff", "high"],
                [table, "--target-response", "likely"],
                [table, "--target-response", "1.5"],
                [table, "--lung-shunt", "1.5"],
                [table, "--lung-shunt", "150%"],
                [table, "--lung-shunt", "-0.1"],
                [table, "--lung-shunt", "eight"],
                [table, "--lung-shunt", "0.05", "--activity", "2furlongs"],
                [table, "--lung-shunt", "0.05", "--activity", "two"],
                [table, "--lung-shunt", "0.05", "--lung-mass", "heavy"],
                [table, "--microspheres", "ceramic", "--lung-shunt", "0.05"],
                ["--partition", "--tumour-mass", "0.2kg", "--normal-liver-mass", "1.3kg", "--tnr", "x", "--lung-shunt", "0.08"],
                ["--bsa", "--weight", "70kg", "--height", "tall", "--tumour-volume", "300", "--liver-volume", "1500", "--lung-shunt", "0.05"],
                // Out of range: negative masses, limits, activities (written with `=` so that the value is
                // not read as an option).
                [table, "--lung-shunt", "0.05", "--lung-mass=-1"],
                [table, "--lung-shunt", "0.05", "--lung-limit=-5"],
                [table, "--lung-shunt", "0.05", "--normal-liver-limit=-1"],
                [table, "--lung-shunt", "0.05", "--activity=-2"],
                [table, "--lung-shunt", "0.05", "--normal-liver-dose=-3"],
                [table, "--lung-shunt=-0.1"],
                ["--partition", "--tumour-mass=-0.2", "--normal-liver-mass", "1.3kg", "--tnr", "3", "--lung-shunt", "0.08"],
                ["--bsa", "--weight=-70", "--height", "175", "--tumour-volume", "300", "--liver-volume", "1500", "--lung-shunt", "0.05"],
            ]
            for args in cases { expectUsageError(ws, args) }
            #expect(!FileManager.default.fileExists(atPath: out))
        }

        /// Never a signal, a trap or an abort, whatever the input; a success is valid JSON (non-finite
        /// numbers are written as null).
        @Test func noCrashOnOddTables() throws {
            let ws = Workspace()
            let tables: [[String: Any]] = [
                lesionTable([]),                                                              // no lesion at all
                lesionTable([lesion(1, mean: 0, tbp: 1.1)]),                                  // Dmean 0 target
                lesionTable([lesion(1, mean: -5, tbp: 1.1)]),                                 // negative dose
                lesionTable([lesion(1, mean: 95, tbp: 1.1)], activityGBq: 0),                // A0 = 0
                lesionTable([lesion(1, mean: 95, tbp: 1.1)], normalLiverGy: 0),              // D_NL0 = 0
                lesionTable([lesion(1, mean: 1e308, tbp: 1e308)]),                           // huge values
                lesionTable([["label": 1, "dose": ["mean_gy": "95"], "t_bp": "x"]]),          // strings for numbers
                lesionTable([["label": "one"]]),
                lesionTable([["name": "no label"]]),
                ["schema": "voxdose.lesions/1", "voxdose_version": "x", "lesions": [NSNull()]],
                ["schema": "voxdose.lesions/1", "lesions": [1, 2, 3]],
                ["schema": "voxdose.lesions/1", "lesions": "many"],
                ["schema": "voxdose.lesions/1", "lesions": [["label": 1, "dose": 5]], "references": [], "parameters": 3],
            ]
            for (n, t) in tables.enumerated() {
                let table = try ws.json("t\(n).json", t)
                for extra in [[], ["--lung-shunt", "0"], ["--lung-shunt", "0.1", "--activity", "2GBq", "--normal-liver-dose", "0"],
                              ["--lung-shunt", "0.1", "--target-response", "0.999999"]] {
                    let run = voxdose(["plan", table] + extra)
                    #expect([0, 1, 64].contains(run.status), "table \(n) \(extra): exit \(run.status), stderr \(run.stderr.prefix(300))")
                    if run.status == 0 {
                        let parsed = (try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) as? [String: Any]
                        #expect(parsed != nil, "table \(n) \(extra): stdout is not JSON: \(run.stdout.prefix(300))")
                    }
                }
            }
            // An empty-model and a degenerate target response on the same table.
            let table = try ws.json("ok.json", lesionTable([lesion(1, mean: 95, tbp: 1.1)]))
            let empty = try ws.json("empty-model.json", Model(terms: [], covariance: []).json)
            for extra in [["--model", empty], ["--target-response", "0"], ["--target-response", "1"],
                          ["--target-response", "100%"], ["--lung-shunt", "1"], ["--lung-shunt", "100%"]] {
                let run = voxdose(["plan", table] + extra)
                #expect([0, 1, 64].contains(run.status), "\(extra): exit \(run.status), stderr \(run.stderr.prefix(300))")
                if run.status == 0 {
                    #expect((try? JSONSerialization.jsonObject(with: Data(run.stdout.utf8))) is [String: Any],
                            "\(extra): stdout is not JSON: \(run.stdout.prefix(300))")
                }
            }
        }
    }

    // MARK: Bad input files

    @Suite struct InputFiles {
        /// A file that is not JSON, another schema, no `lesions`, or a missing file: exit 1, ONE stderr
        /// line starting `error: ` that names the file, nothing written.
        @Test func badLesionTables() throws {
            let ws = Workspace()
            let notJSON = ws.path("notjson.json")
            try "label,dose_mean_gy\n1,95\n".write(toFile: notJSON, atomically: false, encoding: .utf8)
            let binary = ws.path("binary.json")
            try Data([0x00, 0xff, 0x13, 0x37]).write(to: URL(fileURLWithPath: binary))
            let wrongSchema = try ws.json("wrongschema.json", ["schema": "voxdose.plan/1", "voxdose_version": "x",
                                                               "lesions": [lesion(1, mean: 95, tbp: 1.1)]])
            let noSchema = try ws.json("noschema.json", ["lesions": [lesion(1, mean: 95, tbp: 1.1)]])
            var noLesionsTable = lesionTable([])
            noLesionsTable.removeValue(forKey: "lesions")
            let noLesions = try ws.json("nolesions.json", noLesionsTable)
            let array = ws.path("array.json")
            try "[1, 2]".write(toFile: array, atomically: false, encoding: .utf8)
            let missing = ws.path("missing.json")
            let out = ws.path("plan.json")
            for file in [notJSON, binary, wrongSchema, noSchema, noLesions, array, missing] {
                let name = URL(fileURLWithPath: file).lastPathComponent
                expectInputError(ws, [file], naming: [name])
                expectInputError(ws, [file, "--out", out], naming: [name])
                expectInputError(ws, [file, "--lung-shunt", "0.05", "--out", out], naming: [name])
            }
            #expect(!FileManager.default.fileExists(atPath: out))
        }

        /// A model file that is not JSON or not `voxdose.model/1`: exit 1 naming the model file.
        @Test func badModelFiles() throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable([lesion(1, mean: 95, tbp: 1.1)]))
            let notJSON = ws.path("model-text.json")
            try "intercept -3\n".write(toFile: notJSON, atomically: false, encoding: .utf8)
            var other = m1.json
            other["schema"] = "voxdose.lesions/1"
            let wrongSchema = try ws.json("model-schema.json", other)
            let missing = ws.path("model-missing.json")
            for file in [notJSON, wrongSchema, missing] {
                expectInputError(ws, [table, "--model", file, "--out", ws.path("plan.json")],
                                 naming: [URL(fileURLWithPath: file).lastPathComponent])
            }
        }
    }

    // MARK: Groups

    @Suite struct Groups {
        /// `--dose-cutoff 89`, `--hypoxia-cutoff 1.29` by default, strict: REFERENCE §6.7 (95, 1.10) →
        /// nonhypoxic_highdose, (60, 1.50) → hypoxic_lowdose, exactly 89 Gy is low dose, exactly 1.29 is
        /// non-hypoxic; null when Dmean or T/BP is missing (null or absent).
        @Test func defaultCutoffs() throws {
            let ws = Workspace()
            let cases: [(label: Int, mean: Double?, tbp: Double?, group: String?)] = [
                (1, 95, 1.10, "nonhypoxic_highdose"),      // REFERENCE §6.7
                (2, 60, 1.50, "hypoxic_lowdose"),          // REFERENCE §6.7
                (3, 89, 1.29, "nonhypoxic_lowdose"),       // both exactly at the cut-off: "below"
                (4, 89.01, 1.2901, "hypoxic_highdose"),    // just above both
                (5, 89, 1.30, "hypoxic_lowdose"),
                (6, 120, 1.29, "nonhypoxic_highdose"),
                (7, 88.99, 1.0, "nonhypoxic_lowdose"),
                (8, nil, 1.0, nil),                        // Dmean null
                (9, 100, nil, nil),                        // T/BP null
            ]
            var rows = cases.map { lesion($0.label, mean: $0.mean, tbp: $0.tbp) }
            rows.append(lesion(10, mean: 100, tbp: nil, suv: false))   // no SUV map: t_bp absent
            let table = try ws.json("table.json", lesionTable(rows))
            let r = try plan([table])
            #expect(r.lesions.count == 10, "one entry per lesion: \(r.lesions.count)")
            for c in cases {
                let l = r.lesion(c.label)
                if let g = c.group {
                    #expect(l?["group"] as? String == g, "lesion \(c.label) (\(String(describing: c.mean)) Gy, T/BP \(String(describing: c.tbp))): group \(String(describing: l?["group"])), expected \(g)")
                } else {
                    expectNullKey(l, "group", "lesion \(c.label)")
                }
            }
            expectNullKey(r.lesion(10), "group", "lesion 10 (no t_bp)")
        }

        /// `--dose-cutoff` moves the dose split; still strict.
        @Test func doseCutoffOption() throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable([
                lesion(1, mean: 95, tbp: 1.1), lesion(2, mean: 100, tbp: 1.1), lesion(3, mean: 100.5, tbp: 1.1),
                lesion(4, mean: 150, tbp: 1.5), lesion(5, mean: 60, tbp: 1.5)]))
            let r = try plan([table, "--dose-cutoff", "100"])
            let expected = [1: "nonhypoxic_lowdose", 2: "nonhypoxic_lowdose", 3: "nonhypoxic_highdose",
                            4: "hypoxic_highdose", 5: "hypoxic_lowdose"]
            for (label, g) in expected {
                #expect(r.lesion(label)?["group"] as? String == g, "--dose-cutoff 100, lesion \(label): \(String(describing: r.lesion(label)?["group"])), expected \(g)")
            }
            let low = try plan([table, "--dose-cutoff", "60"])
            #expect(low.lesion(5)?["group"] as? String == "hypoxic_lowdose", "60 Gy at cut-off 60 is low dose")
            #expect(low.lesion(1)?["group"] as? String == "nonhypoxic_highdose", "95 Gy at cut-off 60 is high dose")
        }

        /// `--hypoxia-cutoff` moves the hypoxia split and `hypoxic` is recomputed with it (the table's own
        /// `hypoxic` flag is not trusted), in the group, in the lesion's `hypoxic` when written, and in
        /// the model's `hypoxic` term.
        @Test func hypoxiaCutoffRecomputesHypoxic() throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable([
                lesion(1, mean: 60, tbp: 1.50),                            // hypoxic at 1.29, not at 1.5
                lesion(2, mean: 95, tbp: 1.51),                            // hypoxic at both
                lesion(3, mean: 95, tbp: 1.10, hypoxic: true),             // table says hypoxic; 1.10 is not
                lesion(4, mean: 60, tbp: 1.40, hypoxic: false),            // table says not; 1.40 > 1.29 is
            ]))
            let model = try ws.json("m1.json", m1.json)
            let atDefault = try plan([table, "--model", model])
            let at15 = try plan([table, "--model", model, "--hypoxia-cutoff", "1.5"])
            let expected: [(Plan, Double, [Int: (String, Bool)])] = [
                (atDefault, 1.29, [1: ("hypoxic_lowdose", true), 2: ("hypoxic_highdose", true),
                                   3: ("nonhypoxic_highdose", false), 4: ("hypoxic_lowdose", true)]),
                (at15, 1.5, [1: ("nonhypoxic_lowdose", false), 2: ("hypoxic_highdose", true),
                             3: ("nonhypoxic_highdose", false), 4: ("nonhypoxic_lowdose", false)]),
            ]
            let means = [1: 60.0, 2: 95.0, 3: 95.0, 4: 60.0]
            for (r, cut, groups) in expected {
                for (label, (g, hyp)) in groups {
                    let l = r.lesion(label)
                    #expect(l?["group"] as? String == g, "cut-off \(cut), lesion \(label): group \(String(describing: l?["group"])), expected \(g)")
                    if let written = l?["hypoxic"], !(written is NSNull) {
                        #expect(written as? Bool == hyp, "cut-off \(cut), lesion \(label): hypoxic \(written), expected \(hyp)")
                    }
                    // M1 with the recomputed flag: e.g. lesion 1 at 1.29: σ(−3 + 0.04·60 − 1.5) = σ(−2.1);
                    // at 1.5: σ(−3 + 2.4) = σ(−0.6).
                    expectNum(l, "expected_response", m1.p(x(means[label]!, hypoxic: hyp)), rel: 1e-9,
                              "cut-off \(cut), lesion \(label):")
                }
            }
        }
    }

    // MARK: Response model

    @Suite struct ResponseModel {
        /// `expected_response` = σ(Σ coef·term); `expected_response_ci95` = σ(η ± 1.959964·SE),
        /// SE = √(xᵀΣx) from the model's covariance.
        @Test func ownModelResponseAndInterval() throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable([lesion(1, mean: 100, tbp: 1.1), lesion(2, mean: 50, tbp: 1.5)]))
            let model = try ws.json("m1.json", m1.json)
            let r = try plan([table, "--model", model])
            // Lesion 1: η = −3 + 0.04·100 − 0 = 1 → P = σ(1) = 0.7310586;
            //   var = 0.25 + 2·100·(−0.002) + 100²·0.0001 = 0.25 − 0.4 + 1 = 0.85, SE = 0.9219544,
            //   CI = σ(1 ∓ 1.959964·0.9219544) = σ(−0.80700), σ(2.80700) = [0.30853, 0.94302].
            // Lesion 2: η = −3 + 2 − 1.5 = −2.5 → P = 0.0758582;
            //   var = 0.25 − 0.2 + 0.25 + 0.16 = 0.46, SE = 0.6782330, CI = σ(−2.5 ∓ 1.329310) = [0.021235, 0.236792].
            #expect(approx(m1.variance(x(100, hypoxic: false)), 0.85, rel: 1e-12))
            #expect(approx(m1.variance(x(50, hypoxic: true)), 0.46, rel: 1e-12))
            for (label, xs) in [(1, x(100, hypoxic: false)), (2, x(50, hypoxic: true))] {
                let l = r.lesion(label)
                expectNum(l, "expected_response", m1.p(xs), rel: 1e-9, "lesion \(label):")
                let ci = (l?["expected_response_ci95"] as? [Any])?.compactMap(num) ?? []
                let want = m1.ci(xs)
                #expect(ci.count == 2 && approx(ci[0], want[0], rel: 1e-7) && approx(ci[1], want[1], rel: 1e-7),
                        "lesion \(label): ci95 \(String(describing: l?["expected_response_ci95"])), expected \(want)")
            }
            #expect(approx(m1.p(x(100, hypoxic: false)), 0.7310586, rel: 1e-6))
            #expect(approx(m1.ci(x(100, hypoxic: false))[0], 0.30853, rel: 1e-4))
            #expect(approx(m1.ci(x(100, hypoxic: false))[1], 0.94302, rel: 1e-4))
        }

        /// Term names are lesion-table columns as the CSV spells them (nested keys joined with `_`):
        /// `dose_d_70` from `dose.d["70"]`, `dose_v_pct_100` from `dose.v_pct["100"]`, `t_bp`.
        @Test func csvStyleTermNames() throws {
            let ws = Workspace()
            // P = σ(−2 + 0.01·Dmean + 0.02·D70 + 0.01·V100 − 1·T/BP)
            let model = Model(terms: [("intercept", -2), ("dose_mean_gy", 0.01), ("dose_d_70", 0.02),
                                      ("dose_v_pct_100", 0.01), ("t_bp", -1)],
                              covariance: diagonal([0.1, 1e-4, 4e-4, 1e-4, 0.09]))
            let path = try ws.json("model.json", model.json)
            let table = try ws.json("table.json", lesionTable([
                lesion(1, mean: 100, tbp: 1.2, d70: 80, v100: 60),
                lesion(2, mean: 50, tbp: 1.6, d70: 30, v100: 10)]))
            let r = try plan([table, "--model", path])
            // Lesion 1: η = −2 + 1 + 1.6 + 0.6 − 1.2 = 0 → P = 0.5;
            //   var = 0.1 + 1e-4·100² + 4e-4·80² + 1e-4·60² + 0.09·1.2² = 0.1 + 1 + 2.56 + 0.36 + 0.1296 = 4.1496;
            //   dose needed (P* 0.8): (ln 4 − (−2 + 1.6 + 0.6 − 1.2))/0.01 = (1.386294 + 1)/0.01 = 238.6294 Gy.
            // Lesion 2: η = −2 + 0.5 + 0.6 + 0.1 − 1.6 = −2.4; dose needed (1.386294 + 2.9)/0.01 = 428.6294 Gy.
            let xs: [Int: [String: Double]] = [
                1: ["dose_mean_gy": 100, "dose_d_70": 80, "dose_v_pct_100": 60, "t_bp": 1.2],
                2: ["dose_mean_gy": 50, "dose_d_70": 30, "dose_v_pct_100": 10, "t_bp": 1.6]]
            #expect(approx(model.eta(xs[1]!), 0, abs: 1e-12) && approx(model.variance(xs[1]!), 4.1496, rel: 1e-12))
            #expect(approx(model.doseNeeded(0.8, xs[1]!), 238.6294, rel: 1e-6))
            for (label, v) in xs {
                let l = r.lesion(label)
                expectNum(l, "expected_response", model.p(v), rel: 1e-9, "lesion \(label):")
                let ci = (l?["expected_response_ci95"] as? [Any])?.compactMap(num) ?? []
                let want = model.ci(v)
                #expect(ci.count == 2 && approx(ci[0], want[0], rel: 1e-7) && approx(ci[1], want[1], rel: 1e-7),
                        "lesion \(label): ci95 \(String(describing: l?["expected_response_ci95"])), expected \(want)")
                expectNum(l, "dose_needed_gy", model.doseNeeded(0.8, v)!, rel: 1e-7, "lesion \(label):")
            }
        }

        /// Top-level and other nested columns: `volume_ml`, `suv_max` (from `suv.max`).
        @Test func moreColumnNames() throws {
            let ws = Workspace()
            // P = σ(−1 + 0.02·Dmean + 0.5·SUVmax − 1·volume_ml); the table writes suv.max 3.0, volume_ml 0.8.
            let model = Model(terms: [("intercept", -1), ("dose_mean_gy", 0.02), ("suv_max", 0.5), ("volume_ml", -1)],
                              covariance: diagonal([0.2, 1e-4, 0.05, 0.3]))
            let path = try ws.json("model.json", model.json)
            let table = try ws.json("table.json", lesionTable([lesion(1, mean: 100, tbp: 1.2)]))
            let r = try plan([table, "--model", path])
            // η = −1 + 2 + 1.5 − 0.8 = 1.7; var = 0.2 + 1e-4·100² + 0.05·9 + 0.3·0.64 = 0.2 + 1 + 0.45 + 0.192 = 1.842;
            // dose needed (ln 4 + 1 − 1.5 + 0.8)/0.02 = 84.31472 Gy.
            let xs: [String: Double] = ["dose_mean_gy": 100, "suv_max": 3, "volume_ml": 0.8]
            #expect(approx(model.eta(xs), 1.7, rel: 1e-12) && approx(model.variance(xs), 1.842, rel: 1e-12))
            expectNum(r.lesion(1), "expected_response", sigma(1.7), rel: 1e-9)
            let ci = (r.lesion(1)?["expected_response_ci95"] as? [Any])?.compactMap(num) ?? []
            let want = model.ci(xs)
            #expect(ci.count == 2 && approx(ci[0], want[0], rel: 1e-7) && approx(ci[1], want[1], rel: 1e-7), "ci95 \(ci), expected \(want)")
            expectNum(r.lesion(1), "dose_needed_gy", (log(4) + 1 - 1.5 + 0.8) / 0.02, rel: 1e-7)
        }

        /// The covariance is in `term_order`, whatever order `terms` is written in: M1 with its terms
        /// reordered (hypoxic, dose, intercept) and the covariance permuted alike gives M1's numbers.
        @Test func covarianceFollowsTermOrder() throws {
            let ws = Workspace()
            let order = [2, 1, 0]   // hypoxic, dose_mean_gy, intercept
            let permuted = Model(terms: order.map { m1.terms[$0] },
                                 covariance: order.map { i in order.map { j in m1.covariance[i][j] } })
            #expect(permuted.names == ["hypoxic", "dose_mean_gy", "intercept"])
            let path = try ws.json("model.json", permuted.json)
            let table = try ws.json("table.json", lesionTable([lesion(1, mean: 100, tbp: 1.1), lesion(2, mean: 50, tbp: 1.5)]))
            let r = try plan([table, "--model", path])
            for (label, xs) in [(1, x(100, hypoxic: false)), (2, x(50, hypoxic: true))] {
                expectNum(r.lesion(label), "expected_response", m1.p(xs), rel: 1e-9, "lesion \(label):")
                let ci = (r.lesion(label)?["expected_response_ci95"] as? [Any])?.compactMap(num) ?? []
                let want = m1.ci(xs)
                #expect(ci.count == 2 && approx(ci[0], want[0], rel: 1e-7) && approx(ci[1], want[1], rel: 1e-7),
                        "lesion \(label): ci95 \(ci), expected \(want) (covariance read in term_order)")
            }
        }

        /// A term the lesion lacks: `expected_response` null with a `response_note` (and `dose_needed_gy`
        /// null too: "a term the model needs is missing"); other lesions keep their numbers.
        @Test func missingTermGivesNullWithNote() throws {
            let ws = Workspace()
            // t_m is absent from every lesion (no muscle region); t_bp is null for lesion 2 only.
            let withTM = Model(terms: [("intercept", -1), ("dose_mean_gy", 0.03), ("t_m", 0.5)], covariance: diagonal([0.1, 1e-4, 0.01]))
            let withTBP = Model(terms: [("intercept", 1), ("dose_mean_gy", 0.03), ("t_bp", -2)], covariance: diagonal([0.1, 1e-4, 0.04]))
            let unknown = Model(terms: [("intercept", 0), ("dose_mean_gy", 0.03), ("no_such_column", 1)], covariance: diagonal([0.1, 1e-4, 0.01]))
            let table = try ws.json("table.json", lesionTable([lesion(1, mean: 100, tbp: 1.2), lesion(2, mean: 100, tbp: nil)]))
            for (name, model) in [("t_m", withTM), ("unknown", unknown)] {
                let path = try ws.json("model-\(name).json", model.json)
                let r = try plan([table, "--model", path])
                for label in [1, 2] {
                    let l = r.lesion(label)
                    expectNullKey(l, "expected_response", "\(name) model, lesion \(label):")
                    expectNullKey(l, "dose_needed_gy", "\(name) model, lesion \(label):")
                    expectNote(l, "\(name) model, lesion \(label):")
                    let ci = l?["expected_response_ci95"]
                    #expect(ci == nil || ci is NSNull || ((ci as? [Any])?.allSatisfy { $0 is NSNull } ?? false),
                            "\(name) model, lesion \(label): no interval without a response: \(String(describing: ci))")
                }
            }
            let path = try ws.json("model-tbp.json", withTBP.json)
            let r = try plan([table, "--model", path])
            // Lesion 1: η = 1 + 3 − 2.4 = 1.6; dose needed (ln 4 − 1 + 2.4)/0.03 = 92.8765 Gy.
            expectNum(r.lesion(1), "expected_response", sigma(1.6), rel: 1e-9, "t_bp model, lesion 1:")
            expectNum(r.lesion(1), "dose_needed_gy", (log(4) - 1 + 2.4) / 0.03, rel: 1e-7, "t_bp model, lesion 1:")
            expectNullKey(r.lesion(2), "expected_response", "t_bp model, lesion 2 (t_bp null):")
            expectNullKey(r.lesion(2), "dose_needed_gy", "t_bp model, lesion 2 (t_bp null):")
            expectNote(r.lesion(2), "t_bp model, lesion 2:")
        }

        /// Without `--model`, the default (ARTE-MISO-derived) model answers every lesion with a number in
        /// (0, 1) inside its interval, and ranks non-hypoxic/high dose above hypoxic/low dose (93 % vs 39 %).
        @Test func defaultModel() throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable([lesion(1, mean: 120, tbp: 1.0), lesion(2, mean: 50, tbp: 1.6)]))
            let r = try plan([table])
            var p: [Int: Double] = [:]
            for label in [1, 2] {
                let l = r.lesion(label)
                let value = try #require(num(l?["expected_response"]), "lesion \(label): \(String(describing: l))")
                p[label] = value
                #expect(value > 0 && value < 1)
                let ci = (l?["expected_response_ci95"] as? [Any])?.compactMap(num) ?? []
                #expect(ci.count == 2 && ci[0] <= value && value <= ci[1] && ci[0] >= 0 && ci[1] <= 1,
                        "lesion \(label): ci95 \(String(describing: l?["expected_response_ci95"])) around \(value)")
            }
            #expect((p[1] ?? 0) > (p[2] ?? 1), "non-hypoxic/high dose \(String(describing: p[1])) vs hypoxic/low dose \(String(describing: p[2]))")
        }
    }

    // MARK: Dose needed

    @Suite struct DoseNeeded {
        /// `--target-response 0.8` (the default) and `80%`: (logit P* − other terms)/b_dose.
        @Test func closedFormAndPercent() throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable([lesion(1, mean: 100, tbp: 1.1), lesion(2, mean: 50, tbp: 1.5)]))
            let model = try ws.json("m1.json", m1.json)
            // M1, P* = 0.8, logit = ln 4 = 1.3862944:
            //   lesion 1 (not hypoxic): (1.3862944 + 3)/0.04 = 109.65736 Gy;
            //   lesion 2 (hypoxic):     (1.3862944 + 3 + 1.5)/0.04 = 147.15736 Gy.
            // P* = 0.5 (logit 0): 75 Gy and 112.5 Gy.
            let expected: [(args: [String], needed: [Int: Double])] = [
                ([], [1: 109.65736, 2: 147.15736]),
                (["--target-response", "0.8"], [1: 109.65736, 2: 147.15736]),
                (["--target-response", "80%"], [1: 109.65736, 2: 147.15736]),
                (["--target-response", "0.5"], [1: 75, 2: 112.5]),
                (["--target-response", "50%"], [1: 75, 2: 112.5]),
            ]
            for (args, needed) in expected {
                let r = try plan([table, "--model", model] + args)
                for (label, gy) in needed {
                    expectNum(r.lesion(label), "dose_needed_gy", gy, rel: 1e-6, "\(args) lesion \(label):")
                }
            }
            #expect(approx(m1.doseNeeded(0.8, x(100, hypoxic: false)), 109.65736, rel: 1e-7))
        }

        /// 0 when the target is reached at 0 Gy (whatever the sign of the dose coefficient); null with a
        /// `response_note` when the dose coefficient is ≤ 0 and the target is not reached.
        @Test func zeroAndUnreachable() throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable([lesion(1, mean: 100, tbp: 1.1), lesion(2, mean: 50, tbp: 1.5)]))
            struct Case { var name: String; var model: Model; var needed: [Int: Double?] }
            let cov3 = diagonal([0.1, 1e-4, 0.1])
            let cases = [
                // σ(2) = 0.881 ≥ 0.8 at 0 Gy → 0.
                Case(name: "reached", model: Model(terms: [("intercept", 2), ("dose_mean_gy", 0.04)], covariance: diagonal([0.1, 1e-4])),
                     needed: [1: 0, 2: 0]),
                // Negative slope but σ(2) ≥ 0.8 at 0 Gy → 0.
                Case(name: "negative-reached", model: Model(terms: [("intercept", 2), ("dose_mean_gy", -0.01)], covariance: diagonal([0.1, 1e-4])),
                     needed: [1: 0, 2: 0]),
                // Negative slope, σ(0) = 0.5 < 0.8 → no dose does.
                Case(name: "negative", model: Model(terms: [("intercept", 0), ("dose_mean_gy", -0.01)], covariance: diagonal([0.1, 1e-4])),
                     needed: [1: nil, 2: nil]),
                // Zero slope, σ(0) = 0.5 < 0.8 → no dose does.
                Case(name: "flat", model: Model(terms: [("intercept", 0), ("dose_mean_gy", 0)], covariance: diagonal([0.1, 1e-4])),
                     needed: [1: nil, 2: nil]),
                // σ(2 − 3·hypoxic + 0.04·D): non-hypoxic reached at 0; hypoxic (ln 4 − 2 + 3)/0.04 = 59.65736 Gy.
                Case(name: "mixed", model: Model(terms: [("intercept", 2), ("dose_mean_gy", 0.04), ("hypoxic", -3)], covariance: cov3),
                     needed: [1: 0, 2: 59.65736]),
                // Zero slope, hypoxic: σ(2 − 3) < 0.8 → null; non-hypoxic σ(2) → 0.
                Case(name: "flat-mixed", model: Model(terms: [("intercept", 2), ("dose_mean_gy", 0), ("hypoxic", -3)], covariance: cov3),
                     needed: [1: 0, 2: nil]),
            ]
            for c in cases {
                let path = try ws.json("model-\(c.name).json", c.model.json)
                let r = try plan([table, "--model", path])
                for (label, needed) in c.needed {
                    let l = r.lesion(label)
                    let xs = x(label == 1 ? 100 : 50, hypoxic: label == 2)
                    // The test's own closed form agrees with the numbers written above.
                    #expect(needed == nil ? c.model.doseNeeded(0.8, xs) == nil : approx(c.model.doseNeeded(0.8, xs), needed!, rel: 1e-6, abs: 1e-12))
                    if let needed {
                        expectNum(l, "dose_needed_gy", needed, rel: 1e-6, abs: 1e-9, "\(c.name), lesion \(label):")
                    } else {
                        expectNullKey(l, "dose_needed_gy", "\(c.name), lesion \(label):")
                        expectNote(l, "\(c.name), lesion \(label):")
                    }
                    // The expected response itself is still there.
                    expectNum(l, "expected_response", c.model.p(xs), rel: 1e-9, "\(c.name), lesion \(label):")
                }
            }
        }
    }

    // MARK: Prescription from the lesion table

    @Suite struct Prescription {
        /// M1 on three lesions, A0 = 2 GBq, D_NL0 = 20 Gy.
        /// Dose needed (P* 0.8): lesion 1 (100 Gy, not hypoxic) 109.65736, lesion 2 (50 Gy, hypoxic)
        /// 147.15736, lesion 3 (150 Gy, not hypoxic) 109.65736.
        static var rows: [[String: Any]] { [lesion(1, mean: 100, tbp: 1.1), lesion(2, mean: 50, tbp: 1.5), lesion(3, mean: 150, tbp: 1.0)] }
        static let means = [1: 100.0, 2: 50.0, 3: 150.0]
        static let hypoxic = [1: false, 2: true, 3: false]
        static func needed(_ label: Int, target: Double = 0.8) -> Double {
            m1.doseNeeded(target, x(means[label]!, hypoxic: hypoxic[label]!))!
        }

        /// Checks a prescription against the contract's formulas at activity `a`.
        fileprivate static func check(_ r: Plan, activity a: Double?, max amax: Double, binding: String?, a0: Double, dnl0: Double,
                          lsf: Double, lungMass: Double = 1, context: String, sourceLocation: SourceLocation = #_sourceLocation) {
            let p = r.prescription
            #expect(p != nil, "\(context): no prescription", sourceLocation: sourceLocation)
            expectNum(p, "activity_max_gbq", amax, rel: 1e-6, context, sourceLocation: sourceLocation)
            if let binding {
                #expect(p?["binding_constraint"] as? String == binding,
                        "\(context): binding_constraint \(String(describing: p?["binding_constraint"])), expected \(binding)",
                        sourceLocation: sourceLocation)
            }
            guard let a else {
                expectNullKey(p, "activity_gbq", context, sourceLocation: sourceLocation)
                return
            }
            expectNum(p, "activity_gbq", a, rel: 1e-6, context, sourceLocation: sourceLocation)
            // Normal liver D_NL0·A(1 − F)/A0, lung K·A·F/M_L.
            expectNum(p, "normal_liver_dose_gy", dnl0 * a * (1 - lsf) / a0, rel: 1e-6, context, sourceLocation: sourceLocation)
            expectNum(p, "lung_dose_gy", ldmK * a * lsf / lungMass, rel: 1e-6, abs: 1e-9, context, sourceLocation: sourceLocation)
            // Every lesion at A: D_i·A(1 − F)/A0 and M1 at that dose.
            let listed = (p?["lesions"] as? [[String: Any]]) ?? []
            #expect(listed.count == r.lesions.count, "\(context): prescription.lesions \(listed.count) for \(r.lesions.count) lesions",
                    sourceLocation: sourceLocation)
            for (label, d) in means where r.lesion(label) != nil {
                let l = r.prescribed(label)
                let dose = d * a * (1 - lsf) / a0
                expectNum(l, "dose_gy", dose, rel: 1e-6, "\(context) lesion \(label):", sourceLocation: sourceLocation)
                expectNum(l, "expected_response", m1.p(x(dose, hypoxic: hypoxic[label]!)), rel: 1e-6,
                          "\(context) lesion \(label):", sourceLocation: sourceLocation)
            }
        }

        /// Capped by the normal-liver limit (default 40 Gy for resin), then `--targets 1,3` uncapped,
        /// glass (75 Gy), and `--normal-liver-limit`.
        @Test func normalLiverBoundAndTargets() throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable(Self.rows))
            let model = try ws.json("m1.json", m1.json)
            let f = 0.05, a0 = 2.0, dnl0 = 20.0
            // Target activities D*·A0/(D_i(1 − F)): lesion 1 109.65736·2/(100·0.95) = 2.308576,
            // lesion 2 147.15736·2/(50·0.95) = 6.196099, lesion 3 109.65736·2/(150·0.95) = 1.539051.
            let a1 = activityFor(needed: Self.needed(1), dmean: 100, a0: a0, lsf: f)
            let a2 = activityFor(needed: Self.needed(2), dmean: 50, a0: a0, lsf: f)
            let a3 = activityFor(needed: Self.needed(3), dmean: 150, a0: a0, lsf: f)
            #expect(approx(a1, 2.308576, rel: 1e-6) && approx(a2, 6.196099, rel: 1e-6) && approx(a3, 1.539051, rel: 1e-6))
            // Limits: normal liver 40·2/(20·0.95) = 4.210526 GBq; lung 30·1/(49.67·0.05) = 12.07973 GBq.
            let nl40 = 40 * a0 / (dnl0 * (1 - f)), lung = 30 / (ldmK * f)
            #expect(approx(nl40, 4.210526, rel: 1e-6) && approx(lung, 12.07973, rel: 1e-6))

            let all = try plan([table, "--model", model, "--lung-shunt", "0.05"])
            Self.check(all, activity: nl40, max: nl40, binding: "normal_liver", a0: a0, dnl0: dnl0, lsf: f, context: "all targets, resin")
            // Capped by the normal liver: its dose is the limit.
            expectNum(all.prescription, "normal_liver_dose_gy", 40, rel: 1e-6, "capped")

            let explicitAll = try plan([table, "--model", model, "--lung-shunt", "0.05", "--targets", "all", "--microspheres", "resin"])
            #expect(difference(explicitAll.prescription, all.prescription) == nil, "--targets all --microspheres resin: \(difference(explicitAll.prescription, all.prescription) ?? "")")

            let some = try plan([table, "--model", model, "--lung-shunt", "0.05", "--targets", "1,3"])
            Self.check(some, activity: max(a1, a3), max: nl40, binding: "target", a0: a0, dnl0: dnl0, lsf: f, context: "--targets 1,3")
            // Lesion 1 gets exactly its dose needed; lesion 3 more.
            expectNum(some.prescribed(1), "dose_gy", Self.needed(1), rel: 1e-6, "--targets 1,3 lesion 1:")
            expectNum(some.prescribed(1), "expected_response", 0.8, rel: 1e-6, "--targets 1,3 lesion 1:")

            let only3 = try plan([table, "--model", model, "--lung-shunt", "0.05", "--targets", "3"])
            Self.check(only3, activity: a3, max: nl40, binding: "target", a0: a0, dnl0: dnl0, lsf: f, context: "--targets 3")

            // Glass: 75 Gy → 75·2/(20·0.95) = 7.894737 GBq > 6.196099: uncapped.
            let nl75 = 75 * a0 / (dnl0 * (1 - f))
            let glass = try plan([table, "--model", model, "--lung-shunt", "0.05", "--microspheres", "glass"])
            Self.check(glass, activity: a2, max: nl75, binding: "target", a0: a0, dnl0: dnl0, lsf: f, context: "glass")

            // --normal-liver-limit 50: 50·2/19 = 5.263158 GBq < 6.196099: capped; and it overrides glass's 75.
            let nl50 = 50 * a0 / (dnl0 * (1 - f))
            for extra in [["--normal-liver-limit", "50"], ["--normal-liver-limit", "50", "--microspheres", "glass"]] {
                let r = try plan([table, "--model", model, "--lung-shunt", "0.05"] + extra)
                Self.check(r, activity: nl50, max: nl50, binding: "normal_liver", a0: a0, dnl0: dnl0, lsf: f, context: "\(extra)")
            }
        }

        /// Capped by the lung limit (`--lung-limit`, `--lung-mass`); REFERENCE §6.6: 30 Gy ↔ A·LSF ≤ 0.604 GBq.
        @Test func lungBound() throws {
            let ws = Workspace()
            let model = try ws.json("m1.json", m1.json)
            // A0 = 2, D_NL0 = 5, LSF 0.1: normal liver 40·2/(5·0.9) = 17.7778 GBq; lung 30/(49.67·0.1) = 6.039863 GBq.
            // Lesion 2 (50 Gy, hypoxic) needs 147.15736·2/(50·0.9) = 6.540327 GBq > 6.039863: capped by the lung.
            let table = try ws.json("table.json", lesionTable(Self.rows, activityGBq: 2, normalLiverGy: 5))
            let a0 = 2.0, dnl0 = 5.0, f = 0.1
            let lung30 = 30 / (ldmK * f)
            let r = try plan([table, "--model", model, "--lung-shunt", "0.1"])
            Self.check(r, activity: lung30, max: lung30, binding: "lung", a0: a0, dnl0: dnl0, lsf: f, context: "LSF 0.1")
            // REFERENCE §6.6: A·LSF = 0.604 GBq at the 30 Gy limit, and the lung dose is the limit.
            #expect(approx(num(r.prescription?["activity_gbq"]).map { $0 * f }, 0.604, rel: 0, abs: 5e-4),
                    "A·LSF = \(String(describing: r.prescription?["activity_gbq"])) × 0.1, expected 0.604")
            expectNum(r.prescription, "lung_dose_gy", 30, rel: 1e-6, "lung-bound")
            // --lung-limit 20 --lung-mass 1.5kg: 20·1.5/(49.67·0.1) = 6.039863 GBq (the same bound by another
            // route), still below lesion 2's 6.540327: the lung binds, at a lung dose of 20 Gy.
            let bound = 20 * 1.5 / (ldmK * f)
            for mass in ["1500g", "1.5kg"] {
                let m = try plan([table, "--model", model, "--lung-shunt", "0.1", "--lung-limit", "20", "--lung-mass", mass])
                Self.check(m, activity: bound, max: bound, binding: "lung", a0: a0, dnl0: dnl0, lsf: f, lungMass: 1.5,
                           context: "--lung-limit 20 --lung-mass \(mass)")
                expectNum(m.prescription, "lung_dose_gy", 20, rel: 1e-6, "--lung-limit 20")
            }
            // --lung-limit 20 with 1 kg: bound 20/(49.67·0.1) = 4.026576 GBq; lesion 1 alone needs
            // 109.65736·2/(100·0.9) = 2.436830 GBq, below it: --targets 1 is uncapped.
            let lung20 = 20 / (ldmK * f)
            let t1 = try plan([table, "--model", model, "--lung-shunt", "0.1", "--lung-limit", "20", "--targets", "1"])
            Self.check(t1, activity: activityFor(needed: Self.needed(1), dmean: 100, a0: a0, lsf: f), max: lung20, binding: "target",
                       a0: a0, dnl0: dnl0, lsf: f, context: "--lung-limit 20 --targets 1")
            // A large lung mass lifts the lung bound above the normal-liver bound 17.7778: 30·4/(4.967) = 24.16 GBq;
            // lesion 2's 6.540327 GBq is then uncapped.
            let big = try plan([table, "--model", model, "--lung-shunt", "0.1", "--lung-mass", "4kg"])
            Self.check(big, activity: activityFor(needed: Self.needed(2), dmean: 50, a0: a0, lsf: f),
                       max: 40 * a0 / (dnl0 * (1 - f)), binding: "target", a0: a0, dnl0: dnl0, lsf: f, lungMass: 4, context: "--lung-mass 4kg")
        }

        /// `--lung-shunt 0` is allowed and sets no lung bound (lung dose 0); `8%` equals 0.08.
        @Test func lungShuntZeroAndPercent() throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable(Self.rows))
            let model = try ws.json("m1.json", m1.json)
            // F = 0, --normal-liver-limit 1000: normal liver 1000·2/20 = 100 GBq, no lung bound; lesion 2 needs
            // 147.15736·2/50 = 5.886294 GBq.
            let r = try plan([table, "--model", model, "--lung-shunt", "0", "--normal-liver-limit", "1000"])
            Self.check(r, activity: activityFor(needed: Self.needed(2), dmean: 50, a0: 2, lsf: 0), max: 100, binding: "target",
                       a0: 2, dnl0: 20, lsf: 0, context: "LSF 0")
            expectNum(r.prescription, "lung_dose_gy", 0, abs: 1e-12, "LSF 0")
            // With F = 0.01 the lung bound 30/(49.67·0.01) = 60.3986 GBq shows up in activity_max_gbq.
            let small = try plan([table, "--model", model, "--lung-shunt", "0.01", "--normal-liver-limit", "1000"])
            expectNum(small.prescription, "activity_max_gbq", 30 / (ldmK * 0.01), rel: 1e-6, "LSF 0.01")
            // 8% and 0.08 are the same fraction.
            let a = try plan([table, "--model", model, "--lung-shunt", "0.08"])
            let b = try plan([table, "--model", model, "--lung-shunt", "8%"])
            #expect(difference(b.prescription, a.prescription) == nil, "8% vs 0.08: \(difference(b.prescription, a.prescription) ?? "")")
            let nl = 40 * 2 / (20 * 0.92)
            Self.check(a, activity: nl, max: nl, binding: "normal_liver", a0: 2, dnl0: 20, lsf: 0.08, context: "LSF 0.08")
            // --target-response reaches the prescription too: at P* 0.5 lesion 1 needs 75 Gy, lesion 3 75 Gy;
            // --targets 1,3: max(75·2/(100·0.92), 75·2/(150·0.92)) = 1.630435 GBq < 4.347826: uncapped.
            let half = try plan([table, "--model", model, "--lung-shunt", "0.08", "--target-response", "0.5", "--targets", "1,3"])
            Self.check(half, activity: 75 * 2 / (100 * 0.92), max: nl, binding: "target", a0: 2, dnl0: 20, lsf: 0.08, context: "P* 0.5")
        }

        /// `--activity` overrides the table's A0 (any activity unit), `--normal-liver-dose` overrides D_NL0.
        @Test func overridesAndUnits() throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable(Self.rows))
            let model = try ws.json("m1.json", m1.json)
            // A0 = 3.7 GBq (= 100 mCi = 3700 MBq), D_NL0 from the table 20 Gy, F 0.05, --targets 1,3:
            // 109.65736·3.7/(100·0.95) = 4.270865 GBq; normal liver 40·3.7/(20·0.95) = 7.789474 GBq.
            let a0 = 3.7
            for activity in ["3.7GBq", "3.7 GBq", "3700MBq", "100mCi"] {
                let r = try plan([table, "--model", model, "--lung-shunt", "0.05", "--targets", "1,3", "--activity", activity])
                Self.check(r, activity: activityFor(needed: Self.needed(1), dmean: 100, a0: a0, lsf: 0.05),
                           max: 40 * a0 / (20 * 0.95), binding: "target", a0: a0, dnl0: 20, lsf: 0.05, context: "--activity \(activity)")
            }
            // --normal-liver-dose 10 with the table's A0 2: bound 40·2/(10·0.95) = 8.421053 > lesion 2's 6.196099.
            let r = try plan([table, "--model", model, "--lung-shunt", "0.05", "--normal-liver-dose", "10"])
            Self.check(r, activity: activityFor(needed: Self.needed(2), dmean: 50, a0: 2, lsf: 0.05),
                       max: 40 * 2 / (10 * 0.95), binding: "target", a0: 2, dnl0: 10, lsf: 0.05, context: "--normal-liver-dose 10")
        }

        /// Missing A0 (no `--activity`, `parameters.activity_gbq` null or absent) → exit 1 naming
        /// `--activity`; missing D_NL0 → exit 1 naming `--normal-liver-dose`; the options supply them.
        @Test func missingA0AndDNL0() throws {
            let ws = Workspace()
            let model = try ws.json("m1.json", m1.json)
            let noA0 = try ws.json("noa0.json", lesionTable(Self.rows, activityGBq: nil))
            let noA0Key = try ws.json("noa0key.json", lesionTable(Self.rows, dropActivity: true))
            let noDNL = try ws.json("nodnl.json", lesionTable(Self.rows, normalLiverGy: nil))
            let neither = try ws.json("neither.json", lesionTable(Self.rows, activityGBq: nil, normalLiverGy: nil))
            let out = ws.path("plan.json")
            for t in [noA0, noA0Key] {
                expectInputError(ws, [t, "--model", model, "--lung-shunt", "0.05", "--out", out], naming: ["--activity"])
            }
            expectInputError(ws, [noDNL, "--model", model, "--lung-shunt", "0.05", "--out", out], naming: ["--normal-liver-dose"])
            let both = expectInputError(ws, [neither, "--model", model, "--lung-shunt", "0.05"], naming: [])
            #expect(both.stderr.contains("--activity") || both.stderr.contains("--normal-liver-dose"), "names an option: \(both.stderr)")
            // Supplied by the options, the results equal the complete table's.
            let full = try plan([try ws.json("full.json", lesionTable(Self.rows)), "--model", model, "--lung-shunt", "0.05"])
            for (t, extra) in [(noA0, ["--activity", "2GBq"]), (noA0Key, ["--activity", "2GBq"]), (noDNL, ["--normal-liver-dose", "20"]),
                               (neither, ["--activity", "2GBq", "--normal-liver-dose", "20"])] {
                let r = try plan([t, "--model", model, "--lung-shunt", "0.05"] + extra)
                #expect(difference(r.prescription, full.prescription) == nil, "\(extra): \(difference(r.prescription, full.prescription) ?? "")")
            }
            // Without --lung-shunt no prescription is asked for: the missing values are no error.
            let groupsOnly = try plan([neither, "--model", model])
            #expect(groupsOnly.prescription == nil, "prescription without --lung-shunt: \(String(describing: groupsOnly.doc["prescription"]))")
        }

        /// The other prescription options without `--lung-shunt` are an error naming `--lung-shunt`.
        @Test(arguments: [["--activity", "2GBq"], ["--normal-liver-dose", "20"], ["--lung-mass", "1kg"], ["--lung-limit", "30"],
                          ["--normal-liver-limit", "40"], ["--targets", "1,3"]])
        func otherOptionsNeedLungShunt(option: [String]) throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable(Self.rows))
            expectRefusal(ws, [table, "--out", ws.path("plan.json")] + option, naming: ["--lung-shunt"])
        }

        /// Targets whose Dmean or dose needed is null are left out and named in `warnings`; with no
        /// target left `activity_gbq` is null with a warning; `prescription.lesions` lists every lesion.
        @Test func nullTargetsWarned() throws {
            let ws = Workspace()
            // Model σ(1 + 0.03·D − 2·T/BP): lesion 17 (Dmean null) and lesion 23 (T/BP null, no dose needed)
            // are left out; lesion 1 (100 Gy, T/BP 1.2) needs (ln 4 − 1 + 2.4)/0.03 = 92.87648 Gy.
            let model = Model(terms: [("intercept", 1), ("dose_mean_gy", 0.03), ("t_bp", -2)], covariance: diagonal([0.1, 1e-4, 0.04]))
            let path = try ws.json("model.json", model.json)
            let table = try ws.json("table.json", lesionTable([
                lesion(1, mean: 100, tbp: 1.2), lesion(17, mean: nil, tbp: 1.1, name: "segment-VII-dome"),
                lesion(23, mean: 80, tbp: nil, name: "caudate-lobe")]))
            let r = try plan([table, "--model", path, "--lung-shunt", "0.05"])
            // 92.87648·2/(100·0.95) = 1.955294 GBq < 40·2/(20·0.95) = 4.210526.
            let needed1 = (log(4) - 1 + 2.4) / 0.03
            expectNum(r.prescription, "activity_gbq", needed1 * 2 / (100 * 0.95), rel: 1e-6, "two null targets")
            #expect(r.prescription?["binding_constraint"] as? String == "target")
            let text = r.warnings.joined(separator: "\n")
            #expect(text.contains("17") || text.contains("segment-VII-dome"), "warnings should name lesion 17: \(r.warnings)")
            #expect(text.contains("23") || text.contains("caudate-lobe"), "warnings should name lesion 23: \(r.warnings)")
            let listed = (r.prescription?["lesions"] as? [[String: Any]]) ?? []
            #expect(Set(listed.compactMap { num($0["label"]) }) == [1, 17, 23], "prescription.lesions: \(listed)")
            expectNullKey(r.prescribed(17), "dose_gy", "lesion 17 (no Dmean):")
            // Lesion 23 has a Dmean: it is dosed, 80·A·0.95/2; its response needs t_bp: null.
            expectNum(r.prescribed(23), "dose_gy", 80 * needed1 / 100, rel: 1e-6, "lesion 23:")
            expectNullKey(r.prescribed(23), "expected_response", "lesion 23 (model needs t_bp):")
            // Lesion 1 is brought exactly to its dose needed, P = 0.8.
            expectNum(r.prescribed(1), "dose_gy", needed1, rel: 1e-6, "lesion 1:")
            expectNum(r.prescribed(1), "expected_response", 0.8, rel: 1e-6, "lesion 1:")

            // No target left: --targets 17,23.
            let none = try plan([table, "--model", path, "--lung-shunt", "0.05", "--targets", "17,23"])
            expectNullKey(none.prescription, "activity_gbq", "no target left:")
            expectNum(none.prescription, "activity_max_gbq", 40 * 2 / (20 * 0.95), rel: 1e-6, "no target left")
            #expect(!none.warnings.isEmpty, "no target left needs a warning")
            // A table with no lesion at all.
            let empty = try plan([try ws.json("empty.json", lesionTable([])), "--model", path, "--lung-shunt", "0.05"])
            expectNullKey(empty.prescription, "activity_gbq", "empty table:")
            #expect(!empty.warnings.isEmpty, "empty table: no target left needs a warning")
        }
    }

    // MARK: Classic models

    @Suite struct Partition {
        static let reference = ["--partition", "--tumour-mass", "0.2kg", "--normal-liver-mass", "1.3kg", "--tnr", "3"]

        /// REFERENCE §4: M_T 0.2, M_N 1.3, TNR 3, LSF 0.08, D_N 40 Gy → A = 1.663 GBq, D_T = 120 Gy, D_L = 6.61 Gy.
        @Test func referenceCase() throws {
            // A = 40·(3·0.2 + 1.3)/(49.67·0.92) = 76/45.6964 = 1.663169 GBq; D_L = 49.67·1.663169·0.08 = 6.6087 Gy.
            let a = 40 * (3 * 0.2 + 1.3) / (ldmK * 0.92)
            for extra in [["--lung-shunt", "0.08"], ["--lung-shunt", "8%"], ["--lung-shunt", "0.08", "--normal-liver-limit", "40"],
                          ["--lung-shunt", "0.08", "--microspheres", "resin", "--lung-limit", "30", "--lung-mass", "1kg"]] {
                let r = try plan(Self.reference + extra)
                let p = r.doc["partition"] as? [String: Any]
                expectNum(p, "activity_gbq", 1.663, rel: 0, abs: 1e-3, "\(extra):")
                expectNum(p, "tumour_dose_gy", 120, rel: 0, abs: 1e-3, "\(extra):")
                expectNum(p, "normal_liver_dose_gy", 40, rel: 0, abs: 1e-3, "\(extra):")
                expectNum(p, "lung_dose_gy", 6.61, rel: 0, abs: 1e-3 + 0.005, "\(extra):")
                expectNum(p, "activity_gbq", a, rel: 1e-6, "\(extra):")
                expectNum(p, "lung_dose_gy", ldmK * a * 0.08, rel: 1e-6, "\(extra):")
                #expect(p?["binding_constraint"] as? String == "normal_liver", "\(extra): \(String(describing: p?["binding_constraint"]))")
                #expect(r.doc["prescription"] == nil || r.doc["prescription"] is NSNull, "no lesion table, no prescription")
            }
        }

        /// Glass: the 75 Gy default; `--normal-liver-limit` overrides it.
        @Test func glassAndLimitOverride() throws {
            // Glass: A = 75·1.9/45.6964 = 3.118442 GBq, D_T 225 Gy, D_L = 49.67·3.118442·0.08 = 12.391 Gy (< 30).
            let glass = try plan(Self.reference + ["--lung-shunt", "0.08", "--microspheres", "glass"])
            let p = glass.doc["partition"] as? [String: Any]
            let a = 75 * 1.9 / (ldmK * 0.92)
            expectNum(p, "activity_gbq", a, rel: 1e-6, "glass")
            expectNum(p, "tumour_dose_gy", 225, rel: 1e-6, "glass")
            expectNum(p, "normal_liver_dose_gy", 75, rel: 1e-6, "glass")
            expectNum(p, "lung_dose_gy", ldmK * a * 0.08, rel: 1e-6, "glass")
            let fifty = try plan(Self.reference + ["--lung-shunt", "0.08", "--normal-liver-limit", "50"])
            expectNum(fifty.doc["partition"] as? [String: Any], "activity_gbq", 50 * 1.9 / (ldmK * 0.92), rel: 1e-6, "--normal-liver-limit 50")
        }

        /// Lung-bound variant: M_T 0.2, M_N 2.5, TNR 3, LSF 0.2 → normal liver 40·3.1/(49.67·0.8) = 3.120596 GBq,
        /// lung 30·1/(49.67·0.2) = 3.019932 GBq: the lung binds. D_N = 49.67·3.019932·0.8/3.1 = 38.7097 Gy,
        /// D_T = 116.129 Gy, D_L = 30 Gy. With --lung-mass 0.8kg: 30·0.8/9.934 = 2.415945 GBq.
        @Test func lungBound() throws {
            let base = ["--partition", "--tumour-mass", "0.2kg", "--normal-liver-mass", "2.5kg", "--tnr", "3", "--lung-shunt", "0.2"]
            for (extra, mass) in [([String](), 1.0), (["--lung-mass", "0.8kg"], 0.8), (["--lung-mass", "0.8kg"], 0.8)] {
                let r = try plan(base + extra)
                let p = r.doc["partition"] as? [String: Any]
                let a = 30 * mass / (ldmK * 0.2)
                let dn = ldmK * a * 0.8 / (3 * 0.2 + 2.5)
                expectNum(p, "activity_gbq", a, rel: 1e-6, "\(extra)")
                expectNum(p, "normal_liver_dose_gy", dn, rel: 1e-6, "\(extra)")
                expectNum(p, "tumour_dose_gy", 3 * dn, rel: 1e-6, "\(extra)")
                expectNum(p, "lung_dose_gy", 30, rel: 1e-6, "\(extra)")
                #expect(p?["binding_constraint"] as? String == "lung", "\(extra): \(String(describing: p?["binding_constraint"]))")
            }
            #expect(approx(30 / (ldmK * 0.2), 3.019932, rel: 1e-6))
            // --lung-limit 50 lifts the lung bound to 5.03322 GBq: the normal liver binds again.
            let r = try plan(base + ["--lung-limit", "50"])
            let p = r.doc["partition"] as? [String: Any]
            expectNum(p, "activity_gbq", 40 * 3.1 / (ldmK * 0.8), rel: 1e-6, "--lung-limit 50")
            #expect(p?["binding_constraint"] as? String == "normal_liver")
            // --lung-shunt 0: no lung bound, lung dose 0.
            let zero = try plan(["--partition", "--tumour-mass", "0.2kg", "--normal-liver-mass", "1.3kg", "--tnr", "3", "--lung-shunt", "0"])
            let z = zero.doc["partition"] as? [String: Any]
            expectNum(z, "activity_gbq", 40 * 1.9 / ldmK, rel: 1e-6, "LSF 0")
            expectNum(z, "lung_dose_gy", 0, abs: 1e-12, "LSF 0")
        }

        /// A missing partition input is an error naming its option.
        @Test(arguments: ["--tumour-mass", "--normal-liver-mass", "--tnr", "--lung-shunt"])
        func missingInput(option: String) throws {
            let ws = Workspace()
            var args = Self.reference + ["--lung-shunt", "0.08", "--out", ws.path("plan.json")]
            let i = args.firstIndex(of: option)!
            args.removeSubrange(i...(i + 1))
            expectRefusal(ws, args, naming: [option])
        }
    }

    @Suite struct BSA {
        /// 70 kg, 175 cm: BSA 1.848 m² (REFERENCE §2); tumour 450 mL of a 1500 mL liver: involvement 0.3;
        /// A = (1.848 − 0.2) + 0.3 = 1.948 GBq before the lung-shunt rule.
        static let body = ["--bsa", "--weight", "70kg", "--height", "175", "--tumour-volume", "450", "--liver-volume", "1500"]
        static let bsa = duBois(kg: 70, cm: 175)
        static let full = bsa - 0.2 + 0.3

        /// The lung-shunt rule at and around 10 %, 15 %, 20 %: reductions 0, 0.2, 0.4, and no treatment
        /// above 20 % (`activity_gbq` null, `lung_shunt_reduction` null, `binding_constraint` `lung_shunt`).
        @Test(arguments: [("0", 0.0), ("0.05", 0.0), ("0.0999", 0.0), ("0.1", 0.2), ("0.10", 0.2), ("10%", 0.2),
                          ("0.1499", 0.2), ("0.15", 0.4), ("15%", 0.4), ("0.2", 0.4), ("20%", 0.4),
                          ("0.2001", -1), ("0.25", -1), ("21%", -1)])
        func lungShuntRule(lsf: String, reduction: Double) throws {
            #expect(approx(Self.bsa, 1.848, rel: 0, abs: 5e-4))
            let r = try plan(Self.body + ["--lung-shunt", lsf])
            let b = try #require(r.doc["bsa"] as? [String: Any], "no bsa block: \(r.doc.keys.sorted())")
            expectNum(b, "bsa_m2", Self.bsa, rel: 1e-6, "LSF \(lsf):")
            expectNum(b, "tumour_involvement", 0.3, rel: 1e-9, "LSF \(lsf):")
            if reduction >= 0 {
                // e.g. 10 %: 1.948218·0.8 = 1.558574 GBq; 15 %: 1.948218·0.6 = 1.168931 GBq.
                expectNum(b, "activity_gbq", Self.full * (1 - reduction), rel: 1e-6, "LSF \(lsf):")
                expectNum(b, "lung_shunt_reduction", reduction, rel: 1e-12, abs: 1e-12, "LSF \(lsf):")
                let binding = b["binding_constraint"]
                if reduction == 0 {
                    #expect(binding is NSNull, "LSF \(lsf): nothing binds without a reduction: \(String(describing: binding))")
                } else {
                    #expect(binding is NSNull || binding as? String == "lung_shunt", "LSF \(lsf): binding \(String(describing: binding))")
                }
            } else {
                expectNullKey(b, "activity_gbq", "LSF \(lsf):")
                expectNullKey(b, "lung_shunt_reduction", "LSF \(lsf):")
                #expect(b["binding_constraint"] as? String == "lung_shunt", "LSF \(lsf): \(String(describing: b["binding_constraint"]))")
            }
        }

        /// Units: 154 lb = 69.85322 kg, 1.75 m = 175 cm; volumes in mL.
        @Test func units() throws {
            let r = try plan(["--bsa", "--weight", "154lb", "--height", "1.75m", "--tumour-volume", "450mL", "--liver-volume", "1500mL",
                              "--lung-shunt", "0.05"])
            let b = r.doc["bsa"] as? [String: Any]
            let s = duBois(kg: 154 * 0.45359237, cm: 175)
            expectNum(b, "bsa_m2", s, rel: 1e-6, "154lb, 1.75m:")
            expectNum(b, "activity_gbq", s - 0.2 + 0.3, rel: 1e-6, "154lb, 1.75m:")
            let kg = try plan(Self.body.map { $0 == "70" ? "70kg" : $0 == "175" ? "175cm" : $0 } + ["--lung-shunt", "0.05"])
            expectNum(kg.doc["bsa"] as? [String: Any], "bsa_m2", Self.bsa, rel: 1e-6, "70kg, 175cm:")
        }

        /// Glass is refused for `--bsa`.
        @Test func glassRefused() throws {
            let ws = Workspace()
            expectRefusal(ws, Self.body + ["--lung-shunt", "0.05", "--microspheres", "glass", "--out", ws.path("plan.json")], naming: [])
        }

        /// A missing BSA input is an error naming its option.
        @Test(arguments: ["--weight", "--height", "--tumour-volume", "--liver-volume", "--lung-shunt"])
        func missingInput(option: String) throws {
            let ws = Workspace()
            var args = Self.body + ["--lung-shunt", "0.05", "--out", ws.path("plan.json")]
            let i = args.firstIndex(of: option)!
            args.removeSubrange(i...(i + 1))
            expectRefusal(ws, args, naming: [option])
        }
    }

    // MARK: Classic models beside a lesion table

    @Suite struct BesideTable {
        /// `--partition` and `--bsa` beside a lesion table: each adds its block (equal to the block alone),
        /// and the lesion-table prescription is there too.
        @Test func blocksBesideTable() throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable(Prescription.rows))
            let model = try ws.json("m1.json", m1.json)
            let partition = Partition.reference
            let bsa = BSA.body
            let lsf = ["--lung-shunt", "0.08"]
            let together = try plan([table, "--model", model] + partition + bsa + lsf)
            let alonePartition = try plan(partition + lsf)
            let aloneBSA = try plan(bsa + lsf)
            let aloneTable = try plan([table, "--model", model] + lsf)
            #expect(together.lesions.count == 3)
            let tp = together.doc["partition"] as? [String: Any], tb = together.doc["bsa"] as? [String: Any]
            #expect(tp != nil && tb != nil && together.prescription != nil, "blocks: \(together.doc.keys.sorted())")
            #expect(difference(tp, alonePartition.doc["partition"]) == nil, "partition beside a table: \(difference(tp, alonePartition.doc["partition"]) ?? "")")
            #expect(difference(tb, aloneBSA.doc["bsa"]) == nil, "bsa beside a table: \(difference(tb, aloneBSA.doc["bsa"]) ?? "")")
            #expect(difference(together.prescription, aloneTable.prescription) == nil,
                    "prescription beside partition and bsa: \(difference(together.prescription, aloneTable.prescription) ?? "")")
            // Reference values still hold: partition A = 1.663 GBq; BSA at LSF 8 %: no reduction, 1.948 GBq.
            expectNum(tp, "activity_gbq", 1.663, rel: 0, abs: 1e-3, "beside a table:")
            expectNum(tb, "activity_gbq", BSA.full, rel: 1e-6, "beside a table:")
            // The lesion-table prescription gets no BSA-style reduction: LSF 0.08 → 40·2/(20·0.92) = 4.347826 GBq.
            expectNum(together.prescription, "activity_gbq", 40 * 2 / (20 * 0.92), rel: 1e-6, "beside a table:")
        }

        /// The lesion-table and partition prescriptions get no lung-shunt reduction at 10–20 %: at LSF 0.15 the
        /// partition activity is 40·1.9/(49.67·0.85) = 1.800105 GBq, not reduced by 40 %, and the lesion-table
        /// prescription is the formula's.
        @Test func noReductionOutsideBSA() throws {
            let ws = Workspace()
            let table = try ws.json("table.json", lesionTable(Prescription.rows))
            let model = try ws.json("m1.json", m1.json)
            let r = try plan([table, "--model", model, "--lung-shunt", "0.15"] + Partition.reference + BSA.body)
            expectNum(r.doc["partition"] as? [String: Any], "activity_gbq", 40 * 1.9 / (ldmK * 0.85), rel: 1e-6, "partition at LSF 0.15")
            // Lesion table: normal liver 40·2/(20·0.85) = 4.705882; lung 30/(49.67·0.15) = 4.026576 → lung binds.
            Prescription.check(r, activity: 30 / (ldmK * 0.15), max: 30 / (ldmK * 0.15), binding: "lung", a0: 2, dnl0: 20, lsf: 0.15,
                               context: "table at LSF 0.15")
            expectNum(r.doc["bsa"] as? [String: Any], "activity_gbq", BSA.full * 0.6, rel: 1e-6, "bsa at LSF 0.15")
        }
    }
}
