import ArgumentParser
import CohortStatistics
import Foundation
import Reporting
import VoxelIO

/// `voxdose cohort TABLE.csv --outcome COLUMN`: the study's own statistics on a lesion table
/// (`voxdose.cohort/1`, CONTRACT.md; rules in Docs/COHORT.md).
struct Cohort: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Cohort statistics of a lesion table: ROC, Mann–Whitney, 2×2 tests, logistic regression (voxdose.cohort/1).")

    @Argument(help: "CSV table with one header row (the lesion table's --csv output works as is).", completion: .file()) var table: String
    @Option(help: "Outcome column.") var outcome: String
    @Option(help: "Outcome value counted as positive (default: 1 for a 0/1 column, true for a boolean one; required for others).")
    var positive: String?
    @Option(help: ArgumentHelp("Predictor columns, comma-separated (default: every numeric or boolean column but the outcome, label, id and *_id).",
                               valueName: "a,b"))
    var predictors: ColumnList?
    @Option(help: ArgumentHelp("Cut-offs by predictor: a=89,b=1.29 (above means greater than the cut-off).", valueName: "a=v,b=w"))
    var cutoffs: NamedCutoffs?
    @Option(help: "Write the multivariable fit here as a voxdose.model/1 file (for voxdose plan --model).", completion: .file()) var fit: String?
    @Option(help: "Rows with the same value here are one cluster (patient_id: lesions of one patient): cluster-robust fits and Obuchowski's AUC interval.")
    var cluster: String?
    @Option(help: ArgumentHelp("A product term a:b of two numeric predictors in the multivariable fit (repeatable).", valueName: "a:b"))
    var interaction: [InteractionTerm] = []
    @Option(help: "Write the JSON here instead of stdout.", completion: .file()) var out: String?
    @OptionGroup var common: CommonOptions

    func run() throws {
        try runReportingFailures(common) {
            let outputs = try OutputFiles([out, fit], inputs: [table])
            let analysis = try CohortAnalysis(table: try DataTable.read(path: table), options: .init(
                outcome: outcome, positive: positive, predictors: predictors?.names, cutoffs: cutoffs?.entries ?? [], cluster: cluster,
                interactions: interaction.map { ($0.a, $0.b) }))
            var model: LogisticModel? = nil
            if let fit {
                do { model = try analysis.model(source: table) } catch let error as CohortError {
                    throw CohortError("\(error.description) (--fit \(fit))")
                }
            }
            let document = JSONObject.document(schema: "voxdose.cohort/1", try Self.body(analysis))
            if let fit, let model { try outputs.stage(text: Self.modelDocument(model).serialized(), to: fit) }
            try outputs.finish(with: document.serialized(), to: out)
        }
    }

    /// The contract's keys, in its order.
    static func body(_ analysis: CohortAnalysis) throws -> JSONObject {
        var predictors = JSONObject()
        for p in analysis.predictors {
            var entry: JSONObject = ["n": .int(p.n)]
            if let clusters = analysis.clusterCount { entry["n_clusters"] = .int(clusters) }
            entry["roc"] = p.roc.map { roc in
                .object(["auc": .number(roc.auc),
                         "auc_ci95": roc.ci95.map { .array([.number($0.lower), .number($0.upper)]) } ?? .null,
                         "direction": .string(roc.direction.rawValue),
                         "youden_cutoff": .number(roc.youdenCutoff),
                         "sensitivity": .number(roc.sensitivity),
                         "specificity": .number(roc.specificity)])
            } ?? .null
            entry["mann_whitney_u"] = .number(p.mannWhitney?.u)
            entry["mann_whitney_p"] = .number(p.mannWhitney?.p)
            if p.cutoffValue != nil {
                entry["cutoff"] = p.cutoff.map { cutoff in
                    let t = cutoff.table
                    return .object(["value": .number(cutoff.value),
                                    "table": .object(["above_positive": .int(t.abovePositive), "above_negative": .int(t.aboveNegative),
                                                      "below_positive": .int(t.belowPositive), "below_negative": .int(t.belowNegative)]),
                                    "response_above_pct": .number(t.responseAbovePercent),
                                    "response_below_pct": .number(t.responseBelowPercent),
                                    "chi2": .number(t.chiSquared), "chi2_p": .number(t.chiSquaredP),
                                    "chi2_yates_p": .number(t.yatesP), "fisher_p": .number(t.fisherExactP)])
                } ?? .null
            }
            predictors[p.name] = .object(entry)
        }
        var univariable = JSONObject()
        for (index, name) in analysis.predictorNames.enumerated() {
            univariable[name] = index < analysis.univariable.count ? fitObject(analysis.univariable[index], clusters: analysis.clusterCount) : .null
        }
        var body: JSONObject = ["n_rows": .int(analysis.rowsRead), "dropped_rows": .int(analysis.droppedRows), "n_positive": .int(analysis.positives),
                                "outcome": .string(analysis.outcome), "positive": json(analysis.positive),
                                "warnings": try RunWarnings.report(analysis.warnings),
                                "predictors": .object(predictors),
                                "logistic": .object(["univariable": .object(univariable),
                                                     "multivariable": analysis.multivariable.map { fitObject($0, clusters: analysis.clusterCount) } ?? .null])]
        if let cluster = analysis.cluster {
            body["cluster"] = .string(cluster)
            body["n_clusters"] = .int(analysis.clusterCount)
        }
        return body
    }

    static func fitObject(_ fit: LogisticFit, clusters: Int?) -> JSONValue {
        var terms = JSONObject()
        for term in fit.terms ?? [] {
            terms[term.name] = .object(["coef": .number(term.coefficient), "se": .number(term.standardError), "z": .number(term.z),
                                        "p": .number(term.p), "odds_ratio": .number(term.oddsRatio),
                                        "or_ci95": .array([.number(term.oddsRatioCI95.lower), .number(term.oddsRatioCI95.upper)])])
        }
        var object: JSONObject = ["n": .int(fit.n), "converged": .bool(fit.converged), "separation": .bool(fit.separation),
                                  "terms": fit.terms == nil ? .null : .object(terms)]
        if let clusters { object["n_clusters"] = .int(clusters) }
        if !fit.referenceLevels.isEmpty {
            var levels = JSONObject()
            for (column, level) in fit.referenceLevels { levels[column] = .string(level) }
            object["reference_levels"] = .object(levels)
        }
        return .object(object)
    }

    /// `voxdose.model/1` (Docs/COHORT.md), keys in the documented order; numbers print in the
    /// shortest form that reads back to the same Double.
    static func modelDocument(_ model: LogisticModel) -> JSONObject {
        var terms = JSONObject()
        for (name, coefficient) in zip(model.termOrder, model.coefficients) { terms[name] = .number(coefficient) }
        var body: JSONObject = [
            "outcome": .string(model.outcome), "positive": model.positive.map(json) ?? .null, "terms": .object(terms),
            "term_order": .array(model.termOrder.map(JSONValue.string)),
            "covariance": .array(model.covariance.map { .array($0.map(JSONValue.number)) }),
            "n": .int(model.n), "source": .string(model.source),
        ]
        if !model.referenceLevels.isEmpty {
            var levels = JSONObject()
            for (column, level) in model.referenceLevels.sorted(by: { $0.key < $1.key }) { levels[column] = .string(level) }
            body["reference_levels"] = .object(levels)
        }
        return JSONObject.document(schema: LogisticModel.schema, body)
    }

    /// The positive value with the type of its column: a number (an integer when whole), a
    /// boolean or a string.
    static func json(_ value: OutcomeValue) -> JSONValue {
        switch value {
        case .number(let x): return x == x.rounded() && abs(x) < 9e15 ? .int(Int(x)) : .number(x)
        case .boolean(let b): return .bool(b)
        case .text(let s): return .string(s)
        }
    }
}

/// `a:b`, two non-empty column names.
struct InteractionTerm: ExpressibleByArgument {
    var a: String, b: String
    init?(argument: String) {
        let parts = argument.split(separator: ":", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard parts.count == 2, !parts[0].isEmpty, !parts[1].isEmpty, parts[0] != parts[1] else { return nil }
        (a, b) = (parts[0], parts[1])
    }
}

/// Comma-separated column names (`a,b`), each non-empty.
struct ColumnList: ExpressibleByArgument {
    var names: [String]
    init?(argument: String) {
        names = argument.split(separator: ",", omittingEmptySubsequences: false).map { $0.trimmingCharacters(in: .whitespaces) }
        guard !names.contains(where: \.isEmpty) else { return nil }
    }
}

/// `name=value` pairs, comma-separated (`dose_mean_gy=89,t_bp=1.29`): names non-empty and
/// distinct, values finite decimal numbers. Anything else is bad usage (exit 64).
struct NamedCutoffs: ExpressibleByArgument {
    var entries: [(name: String, value: Double)]
    init?(argument: String) {
        entries = []
        for item in argument.split(separator: ",", omittingEmptySubsequences: false) {
            let parts = item.split(separator: "=", maxSplits: 1, omittingEmptySubsequences: false)
                .map { $0.trimmingCharacters(in: .whitespaces) }
            guard parts.count == 2, !parts[0].isEmpty, let value = DataTable.number(parts[1]),
                  !entries.contains(where: { $0.name == parts[0] }) else { return nil }
            entries.append((parts[0], value))
        }
        guard !entries.isEmpty else { return nil }
    }
}
