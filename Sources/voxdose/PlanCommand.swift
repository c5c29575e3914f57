import ArgumentParser
import Foundation
import PatientStages
import Planning
import Plausibility
import Reporting
import VoxelIO

extension Microspheres: ExpressibleByArgument {}

/// `voxdose plan`: dose × hypoxia groups, expected response, dose needed and the activity
/// prescription from a lesion table; the partition and BSA methods (CONTRACT.md, Docs/PLANNING.md).
struct Plan: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Classify lesions, predict response, find the dose each needs and prescribe an activity.",
        discussion: "Reads a voxdose.lesions/1 table and writes voxdose.plan/1 JSON. Docs/PLANNING.md.")

    @Argument(help: "A lesion table (voxdose.lesions/1 JSON) from `voxdose lesions`.", completion: .file()) var lesions: String?
    @Option(help: "Dose cut-off on dose.mean_gy, Gy (strict: above means greater).") var doseCutoff: QuantityArgument<DoseGray> = .init(argument: "89")!
    @Option(help: "Hypoxia cut-off on t_bp (strict); `hypoxic` is recomputed with it.") var hypoxiaCutoff = ResponseModel.arteMisoHypoxiaCutoff
    @Option(help: "A response model (voxdose.model/1 from `voxdose cohort --fit`); default: the ARTE-MISO model.", completion: .file()) var model: String?
    @Option(help: "Target response probability for the dose needed (0.8 or 80%).") var targetResponse: QuantityArgument<Fraction> = .init(argument: "0.8")!

    @Option(help: "Lung shunt fraction (0.08 or 8%); computes the prescription from the lesion table.") var lungShunt: QuantityArgument<Fraction>?
    @Option(help: "Liver activity the dose map's doses correspond to, with its unit: 1.8GBq (default: the table's parameters.activity_gbq).") var activity: QuantityArgument<ActivityGBq>?
    @Option(help: "Normal-liver mean dose at that activity, Gy (default: the table's references.normal_liver_dose_mean_gy).") var normalLiverDose: QuantityArgument<DoseGray>?
    @Option(help: "Lung mass, with its unit: 1kg, 1000g, 2.2lb (default 1kg).") var lungMass: QuantityArgument<MassKg>?
    @Option(help: "Lung mean-dose limit per treatment, Gy.") var lungLimit: QuantityArgument<DoseGray>?
    @Option(help: "Normal-liver mean-dose limit, Gy (default 40 for resin, 75 for glass).") var normalLiverLimit: QuantityArgument<DoseGray>?
    @Option(help: "Microsphere type: resin or glass.") var microspheres: Microspheres?
    @Option(help: "Target lesions: all, or labels (3,7).") var targets: String?

    @Flag(help: "Add the partition model (needs --tumour-mass, --normal-liver-mass, --tnr, --lung-shunt).") var partition = false
    @Option(help: "Tumour mass, with its unit: 0.25kg, 250g.") var tumourMass: QuantityArgument<MassKg>?
    @Option(help: "Normal-liver mass, with its unit: 1.4kg, 1400g.") var normalLiverMass: QuantityArgument<MassKg>?
    @Option(help: "Tumour-to-normal-liver uptake ratio.") var tnr: Double?

    @Flag(help: "Add the BSA method, resin only (needs --weight, --height, --tumour-volume, --liver-volume, --lung-shunt).") var bsa = false
    @Option(help: "Body weight, with its unit: 70kg, 154lb, 1300g.") var weight: QuantityArgument<MassKg>?
    @Option(help: "Height, cm.") var height: QuantityArgument<LengthCm>?
    @Option(help: "Tumour volume, mL.") var tumourVolume: QuantityArgument<VolumeML>?
    @Option(help: "Whole-liver volume (tumour included), mL.") var liverVolume: QuantityArgument<VolumeML>?

    @Option(help: "CSV keyed by label with more lesion columns the model uses (histology, …).", completion: .file()) var lesionData: String?
    @Option(help: "Write the JSON here instead of stdout.", completion: .file()) var out: String?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        guard lesions != nil || partition || bsa else {
            throw ValidationError("give a lesion table (LESIONS.json), --partition or --bsa")
        }
        if let f = lungShunt?.base, !(0..<1).contains(f) { throw ValidationError("--lung-shunt must be in [0, 1)") }
        guard (0..<1).contains(targetResponse.base), targetResponse.base > 0 else {
            throw ValidationError("--target-response must be in (0, 1)")
        }
        let prescriptionOptions: [(String, Bool)] = [
            ("--activity", activity != nil), ("--normal-liver-dose", normalLiverDose != nil), ("--lung-mass", lungMass != nil),
            ("--lung-limit", lungLimit != nil), ("--normal-liver-limit", normalLiverLimit != nil), ("--targets", targets != nil),
            ("--microspheres", microspheres != nil),
        ]
        if lungShunt == nil, let given = prescriptionOptions.first(where: \.1) {
            throw ValidationError("\(given.0) needs --lung-shunt")
        }
        guard hypoxiaCutoff.isFinite else { throw ValidationError("--hypoxia-cutoff must be a finite number") }
        for (value, name) in [(lungMass?.base, "--lung-mass"), (tumourMass?.base, "--tumour-mass"),
                              (normalLiverMass?.base, "--normal-liver-mass"), (tnr, "--tnr"), (weight?.base, "--weight"),
                              (height?.base, "--height"), (liverVolume?.base, "--liver-volume"), (activity?.base, "--activity")] {
            if let value, !(value > 0 && value.isFinite) { throw ValidationError("\(name) must be a positive finite number") }
        }
        for (value, name) in [(lungLimit?.base, "--lung-limit"), (normalLiverLimit?.base, "--normal-liver-limit"),
                              (normalLiverDose?.base, "--normal-liver-dose"), (tumourVolume?.base, "--tumour-volume")] {
            if let value, !(value >= 0) { throw ValidationError("\(name) must not be negative") }
        }
        if partition {
            let missing = [("--tumour-mass", tumourMass == nil), ("--normal-liver-mass", normalLiverMass == nil),
                           ("--tnr", tnr == nil), ("--lung-shunt", lungShunt == nil)].filter(\.1).map(\.0)
            if !missing.isEmpty { throw ValidationError("--partition needs \(missing.joined(separator: ", "))") }
        }
        if bsa {
            if microspheres == .glass { throw ValidationError("--bsa is for resin microspheres only; glass is refused") }
            let missing = [("--weight", weight == nil), ("--height", height == nil), ("--tumour-volume", tumourVolume == nil),
                           ("--liver-volume", liverVolume == nil), ("--lung-shunt", lungShunt == nil)].filter(\.1).map(\.0)
            if !missing.isEmpty { throw ValidationError("--bsa needs \(missing.joined(separator: ", "))") }
            if let t = tumourVolume?.base, let l = liverVolume?.base, t > l {
                throw ValidationError("--tumour-volume must not exceed --liver-volume (the whole liver, tumour included)")
            }
        }
        if let targets, targets != "all", Self.labelList(targets) == nil {
            throw ValidationError("--targets must be all or a list of labels")
        }
    }

    func run() throws {
        try runReportingFailures(common) {
            let outputs = try OutputFiles([out], inputs: [lesions, model, lesionData])
            var request = TreatmentPlan.Request()
            if let model { request.model = try ResponseModel.read(model) }
            request.doseCutoffGy = doseCutoff.base
            request.hypoxiaCutoff = hypoxiaCutoff
            request.targetResponse = targetResponse.base
            request.microspheres = microspheres ?? .resin
            request.limits = TreatmentLimits(lungShuntFraction: lungShunt?.base ?? 0,
                                             normalLiverLimitGy: normalLiverLimit?.base ?? request.microspheres.normalLiverLimitGy)
            if let m = lungMass?.base { request.limits.lungMassKg = m }
            if let l = lungLimit?.base { request.limits.lungLimitGy = l }
            request.prescribe = lungShunt != nil
            request.activityGBq = activity.map { $0.base / 1e9 }
            request.normalLiverDoseGy = normalLiverDose?.base
            if let targets, targets != "all" { request.targets = Set(Self.labelList(targets)!) }
            if let path = lesions {
                request.table = try PlanTable.read(path)
                request.tableSource = path
                if let lesionData { try request.table!.merge(lesionData: lesionData) }
            }
            if partition, let tumourMass, let normalLiverMass, let tnr {
                request.partition = (tumourMass.base, normalLiverMass.base, tnr)
            }
            if bsa, let weight, let height, let tumourVolume, let liverVolume {
                request.bsa = (weight.base, height.base, tumourVolume.base, liverVolume.base)
            }

            // Masses and volumes a computation uses (Docs/SAFETY.md, mass_implausible).
            var figures: [Plausibility.PlanFigure] = []
            if let m = lungMass?.base, (lungShunt?.base ?? 0) > 0 || partition { figures.append(.lungMassKg(m)) }
            if partition, let tumourMass, let normalLiverMass {
                figures += [.tumourMassKg(tumourMass.base), .normalLiverMassKg(normalLiverMass.base)]
            }
            if bsa, let tumourVolume, let liverVolume { figures += [.tumourVolumeML(tumourVolume.base), .liverVolumeML(liverVolume.base)] }
            RunWarnings.add(Plausibility.massImplausible(figures))
            if bsa, let weight, let height { RunWarnings.add(Plausibility.bodyImplausible(weightKg: weight.base, heightCm: height.base * 100)) }

            let plan = try TreatmentPlan.make(request)
            let document = plan.document(warnings: try RunWarnings.report(plan.warnings))
            try outputs.finish(with: document.serialized(), to: out)
        }
    }

    /// `3,7,12`: integer labels.
    static func labelList(_ text: String) -> [Int]? {
        let labels = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return labels.isEmpty || labels.contains(nil) ? nil : labels.map { $0! }
    }
}
