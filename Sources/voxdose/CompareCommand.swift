import ArgumentParser
import CohortStatistics
import Foundation
import PatientStages
import Reporting
import VoxelIO

/// `voxdose compare --predicted PRE.json --delivered POST.json`: per-lesion predicted (99mTc-MAA)
/// vs delivered (90Y PET) mean dose and their agreement (`voxdose.compare/1`, CONTRACT.md
/// "Pre-treatment: 99mTc-MAA SPECT/CT").
struct Compare: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Predicted vs delivered lesion dose: differences, limits of agreement, Lin's concordance (voxdose.compare/1).",
        discussion: """
        The predicted Dmean is rescaled to the delivered activity: Dmean × delivered / predicted activity, \
        each from its table's parameters.activity_gbq unless --predicted-activity / --delivered-activity give it.
        """)

    @Option(help: "The predicted lesion table (voxdose.lesions/1 of the MAA dose map).", completion: .file()) var predicted: String
    @Option(help: "The delivered lesion table (voxdose.lesions/1 of the 90Y PET dose map).", completion: .file()) var delivered: String
    @Option(help: "The activity the predicted table's doses are for, with its unit (default: its parameters.activity_gbq).")
    var predictedActivity: QuantityArgument<ActivityGBq>?
    @Option(help: "The activity the delivered table's doses are for, with its unit (default: its parameters.activity_gbq).")
    var deliveredActivity: QuantityArgument<ActivityGBq>?
    @Option(help: "Write the JSON here instead of stdout (- for stdout).", completion: .file()) var out: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        for (name, value) in [("--predicted-activity", predictedActivity?.base), ("--delivered-activity", deliveredActivity?.base)] {
            if let value, !(value > 0) { throw ValidationError("\(name) must be positive") }
        }
    }

    func run() throws {
        try runReportingFailures(common) {
            let outputs = try OutputFiles([out], inputs: [predicted, delivered])
            let pre = try PlanTable.read(predicted), post = try PlanTable.read(delivered)
            func activity(_ option: QuantityArgument<ActivityGBq>?, _ table: PlanTable, _ path: String, _ name: String) throws -> Double {
                if let gbq = option.map({ $0.base / 1e9 }) ?? table.activityGBq, gbq > 0 { return gbq }
                throw CommandFailure("\(path): no activity: parameters.activity_gbq is missing; give \(name)")
            }
            let preActivity = try activity(predictedActivity, pre, predicted, "--predicted-activity")
            let postActivity = try activity(deliveredActivity, post, delivered, "--delivered-activity")
            let scale = postActivity / preActivity

            let delivered = Dictionary(uniqueKeysWithValues: post.lesions.compactMap { l in l.terms["dose_mean_gy"].map { (l.label, $0) } })
            var pairs: [(label: Int, predicted: Double, delivered: Double)] = []
            for lesion in pre.lesions.sorted(by: { $0.label < $1.label }) {
                guard let p = lesion.terms["dose_mean_gy"], let d = delivered[lesion.label] else { continue }
                pairs.append((lesion.label, p * scale, d))
            }
            guard !pairs.isEmpty else {
                throw CommandFailure("\(predicted): no lesion with a mean dose is in both tables (and \(self.delivered)); lesions are matched by label")
            }
            let summary = AgreementSummary(first: pairs.map(\.predicted), second: pairs.map(\.delivered))
            func comparison(_ p: Double, _ d: Double) -> JSONObject {
                ["predicted_mean_gy": .number(p), "delivered_mean_gy": .number(d), "difference_gy": .number(d - p),
                 "ratio": .number(p != 0 ? d / p : .nan)]
            }
            var body: JSONObject = [
                "predicted": .string(OutputFiles.recordedName(predicted)), "delivered": .string(OutputFiles.recordedName(self.delivered)),
                "predicted_activity_gbq": .number(preActivity), "delivered_activity_gbq": .number(postActivity),
                "lesions": .array(pairs.map { pair in
                    var row: JSONObject = ["label": .int(pair.label)]
                    for (key, value) in comparison(pair.predicted, pair.delivered).entries { row[key] = value }
                    return .object(row)
                }),
                "summary": .object([
                    "n": .int(summary.n), "mean_difference_gy": .number(summary.meanDifference),
                    "sd_difference_gy": .number(summary.sdDifference),
                    "limits_of_agreement_gy": .array([.number(summary.limitsOfAgreement.low), .number(summary.limitsOfAgreement.high)]),
                    "lin_ccc": .number(summary.linCCC), "pearson_r": .number(summary.pearsonR),
                ]),
            ]
            if let p = pre.normalLiverDoseGy, let d = post.normalLiverDoseGy {
                body["normal_liver"] = .object(comparison(p * scale, d))
            }
            body["warnings"] = try RunWarnings.report()
            try outputs.finish(with: JSONObject.document(schema: "voxdose.compare/1", body).serialized(), to: out)
        }
    }
}
