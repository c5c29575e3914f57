import ArgumentParser
import Dosimetry
import Foundation
import PETQuant
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
    /// The ARTE-MISO cut-off, at which the default model's hypoxic term was derived.
    static let arteMisoHypoxiaCutoff = 1.29
    @Option(help: "Hypoxia cut-off on t_bp (strict); `hypoxic` is recomputed with it.") var hypoxiaCutoff = Self.arteMisoHypoxiaCutoff
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
            let responseModel = try model.map(ModelFile.read) ?? .arteMiso
            var warnings: [String] = []
            let spheres = microspheres ?? .resin
            var limits = TreatmentLimits(lungShuntFraction: lungShunt?.base ?? 0,
                                         normalLiverLimitGy: normalLiverLimit?.base ?? spheres.normalLiverLimitGy)
            if let m = lungMass?.base { limits.lungMassKg = m }
            if let l = lungLimit?.base { limits.lungLimitGy = l }

            var body: JSONObject = [:]
            var parameters: JSONObject = [
                "dose_cutoff_gy": .number(doseCutoff.base), "hypoxia_cutoff": .number(hypoxiaCutoff),
                "target_response": .number(targetResponse.base),
            ]
            if lungShunt != nil || partition {
                parameters["lung_shunt"] = .number(limits.lungShuntFraction)
                parameters["lung_mass_kg"] = .number(limits.lungMassKg)
                parameters["lung_limit_gy"] = .number(limits.lungLimitGy)
                parameters["normal_liver_limit_gy"] = .number(limits.normalLiverLimitGy)
                parameters["microspheres"] = .string(spheres.rawValue)
                parameters["dose_factor_j_per_gbq"] = .number(Y90.doseFactorJPerGBq)
            }
            if model == nil && hypoxiaCutoff != Self.arteMisoHypoxiaCutoff {
                warnings.append("the default model's hypoxic term was derived at T/BP > 1.29; with --hypoxia-cutoff \(hypoxiaCutoff) its predictions are outside what it was derived for")
            }
            if let path = lesions {
                var table = try LesionTable.read(path)
                if let lesionData { try table.merge(lesionData: lesionData) }
                body["model"] = .object(modelBlock(responseModel))
                let planned = table.lesions.map { plan($0, model: responseModel) }
                body["lesions"] = .array(planned.map { .object($0.json) })
                if lungShunt != nil {
                    body["prescription"] = .object(try prescription(table, planned, model: responseModel, limits: limits,
                                                                    path: path, warnings: &warnings))
                    parameters["activity_gbq"] = .number(activity.map { $0.base / 1e9 } ?? table.activityGBq)
                    parameters["normal_liver_dose_reference_gy"] = .number(normalLiverDose?.base ?? table.normalLiverDoseGy)
                }
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
            if partition, let tumourMass, let normalLiverMass, let tnr {
                let r = PartitionModel(tumourMassKg: tumourMass.base, normalLiverMassKg: normalLiverMass.base,
                                       tumourToNormalRatio: tnr, limits: limits).result
                body["partition"] = .object([
                    "activity_gbq": .number(r.activityGBq), "tumour_dose_gy": .number(r.tumourDoseGy),
                    "normal_liver_dose_gy": .number(r.normalLiverDoseGy), "lung_dose_gy": .number(r.lungDoseGy),
                    "binding_constraint": .string(r.binding.rawValue),
                ])
            }
            if bsa, let weight, let height, let tumourVolume, let liverVolume, let f = lungShunt?.base {
                let area = BodyMetrics.bodySurfaceAreaDuBoisM2(weightKg: weight.base, heightM: height.base)
                let method = BodySurfaceAreaMethod(bodySurfaceAreaM2: area, tumourVolumeML: tumourVolume.base,
                                                   liverVolumeML: liverVolume.base, lungShuntFraction: f)
                guard area - 0.2 + method.tumourInvolvement > 0 else {
                    throw CommandFailure("BSA method: BSA \(String(format: "%.3f", area)) m² from --weight and --height gives no positive activity")
                }
                body["bsa"] = .object([
                    "bsa_m2": .number(area), "tumour_involvement": .number(method.tumourInvolvement),
                    "activity_gbq": .number(method.activityGBq), "lung_shunt_reduction": .number(method.lungShuntReduction),
                    "binding_constraint": method.activityGBq == nil ? .string(BindingConstraint.lungShunt.rawValue) : .null,
                ])
                if method.activityGBq == nil {
                    warnings.append("BSA method: lung shunt \(String(format: "%.4g", f * 100)) % is above 20 %: no resin treatment")
                }
            }
            body["parameters"] = .object(parameters)
            body["warnings"] = try RunWarnings.report(warnings)
            try outputs.finish(with: JSONObject.document(schema: "voxdose.plan/1", body).serialized(), to: out)
        }
    }

    /// One lesion's plan: group, expected response, dose needed.
    struct PlannedLesion {
        var lesion: LesionTable.Lesion
        var terms: [String: Double]
        var doseNeededGy: Double?
        var json: JSONObject
    }

    private func plan(_ lesion: LesionTable.Lesion, model: ResponseModel) -> PlannedLesion {
        var terms = lesion.terms
        let tBP = terms["t_bp"]
        terms["hypoxic"] = tBP.map { $0 > hypoxiaCutoff ? 1 : 0 }
        let dose = terms[ResponseModel.doseTerm]
        let group = DoseHypoxiaGroup(doseMeanGy: dose, tBP: tBP, doseCutoffGy: doseCutoff.base, hypoxiaCutoff: hypoxiaCutoff)
        var notes: [String] = []
        // Categorical terms `COLUMN=LEVEL`: 1 when the lesion's COLUMN is LEVEL; a level the
        // model does not know (neither its reference nor an indicator) leaves the term missing.
        let logistic = model.logistic
        for term in logistic.termOrder where term.contains("=") {
            let parts = term.split(separator: "=", maxSplits: 1).map(String.init)
            guard parts.count == 2, let written = lesion.texts[parts[0]] else { continue }
            let known = Set(logistic.termOrder.filter { $0.hasPrefix(parts[0] + "=") }.map { String($0.dropFirst(parts[0].count + 1)) })
                .union(logistic.referenceLevels[parts[0]].map { [$0] } ?? [])
            if known.contains(written) { terms[term] = written == parts[1] ? 1 : 0 }
            else if !notes.contains(where: { $0.hasPrefix("\(parts[0]) ") }) {
                notes.append("\(parts[0]) \"\(written)\" is a level the model does not know (\(known.sorted().joined(separator: ", ")))")
            }
        }
        // `hypoxic` comes from t_bp: name what the table lacks.
        var missing: [String] = []
        for term in model.missingTerms(terms) {
            let name = term.contains("=") ? String(term.split(separator: "=")[0]) : term == "hypoxic" && tBP == nil ? "t_bp (for hypoxic)" : term
            if !missing.contains(name) && !notes.contains(where: { $0.hasPrefix("\(name) ") }) { missing.append(name) }
        }
        if !missing.isEmpty { notes.append("the model needs \(missing.joined(separator: ", ")), missing for this lesion") }
        let prediction = model.predict(terms)
        var needed: Double?
        switch model.doseNeeded(target: targetResponse.base, terms: terms) {
        case .success(let d): needed = d
        case .failure(.missingTerms): break  // named above
        case .failure(.noDoseTerm): notes.append("the model has no \(ResponseModel.doseTerm) term: no dose can be solved for")
        case .failure(.unreachable): notes.append("no dose reaches a response probability of \(targetResponse.base) for this lesion under the model")
        }
        let json: JSONObject = [
            "label": .int(lesion.label), "name": .string(lesion.name),
            "dose_mean_gy": .number(dose), "t_bp": .number(tBP), "hypoxic": terms["hypoxic"].map { .bool($0 == 1) } ?? .null,
            "group": .string(group?.rawValue),
            "expected_response": .number(prediction?.probability),
            "expected_response_ci95": prediction.map { .array([.number($0.ci95.low), .number($0.ci95.high)]) } ?? .null,
            "dose_needed_gy": .number(needed),
            "response_note": notes.isEmpty ? .null : .string(notes.joined(separator: "; ")),
        ]
        return PlannedLesion(lesion: lesion, terms: terms, doseNeededGy: needed, json: json)
    }

    private func prescription(_ table: LesionTable, _ planned: [PlannedLesion], model: ResponseModel, limits: TreatmentLimits,
                              path: String, warnings: inout [String]) throws -> JSONObject {
        guard let a0 = activity.map({ $0.base / 1e9 }) ?? table.activityGBq else {
            throw CommandFailure("\(path): no activity for the dose map (parameters.activity_gbq is null); give --activity")
        }
        guard let dNL = normalLiverDose?.base ?? table.normalLiverDoseGy else {
            throw CommandFailure("\(path): no normal-liver dose (references.normal_liver_dose_mean_gy is absent); give --normal-liver-dose")
        }
        guard a0 > 0 else { throw CommandFailure("\(path): parameters.activity_gbq is \(a0), not a positive activity; give --activity") }
        guard dNL >= 0 else {
            throw CommandFailure("\(path): references.normal_liver_dose_mean_gy is \(dNL) Gy, a negative dose; give --normal-liver-dose")
        }
        let rx = TablePrescription(referenceActivityGBq: a0, normalLiverDoseAtReferenceGy: dNL, limits: limits)
        let known = Set(planned.map(\.lesion.label))
        let targetLabels: Set<Int>
        if let targets, targets != "all" {
            targetLabels = Set(Self.labelList(targets)!)
            if let absent = targetLabels.subtracting(known).sorted().first {
                throw CommandFailure("\(path): --targets names label \(absent), which is not a lesion of the table")
            }
        } else {
            targetLabels = known
        }
        var activities: [Double] = [], left: [String] = []
        for p in planned where targetLabels.contains(p.lesion.label) {
            guard let dose = p.terms[ResponseModel.doseTerm], let needed = p.doseNeededGy,
                  let a = rx.activityGBq(doseAtReferenceGy: dose, doseNeededGy: needed) else {
                left.append(String(p.lesion.label))
                continue
            }
            activities.append(a)
        }
        if !left.isEmpty { warnings.append("prescription: target lesion(s) \(left.joined(separator: ", ")) left out (no Dmean, no dose needed, or no dose at any activity)") }
        let chosen = rx.prescribe(targetActivitiesGBq: activities)
        if chosen == nil { warnings.append("prescription: no target lesion is left; no activity prescribed") }
        let a = chosen?.activityGBq
        let lesionsAtA: [JSONValue] = planned.map { p in
            let dose = p.terms[ResponseModel.doseTerm].flatMap { d in a.map { rx.liverSideDoseGy(d, activityGBq: $0) } }
            var terms = p.terms
            terms[ResponseModel.doseTerm] = dose
            let response = dose == nil ? nil : model.predict(terms)?.probability
            return .object(["label": .int(p.lesion.label), "dose_gy": .number(dose), "expected_response": .number(response)])
        }
        return [
            "activity_gbq": .number(a), "activity_max_gbq": .number(rx.maximum?.activityGBq),
            "binding_constraint": .string(chosen?.binding.rawValue),
            "normal_liver_dose_gy": .number(a.map { rx.liverSideDoseGy(dNL, activityGBq: $0) }),
            "lung_dose_gy": .number(a.map { limits.lungDoseGy(activityGBq: $0) }),
            "lesions": .array(lesionsAtA),
        ]
    }

    /// `3,7,12`: integer labels.
    static func labelList(_ text: String) -> [Int]? {
        let labels = text.split(separator: ",", omittingEmptySubsequences: false).map { Int($0.trimmingCharacters(in: .whitespaces)) }
        return labels.isEmpty || labels.contains(nil) ? nil : labels.map { $0! }
    }

    private func modelBlock(_ model: ResponseModel) -> JSONObject {
        let m = model.logistic
        var terms = JSONObject()
        for (name, coefficient) in zip(m.termOrder, m.coefficients) { terms[name] = .number(coefficient) }
        return ["source": .string(m.source), "term_order": .array(m.termOrder.map(JSONValue.string)),
                "terms": .object(terms), "n": .int(m.n),
                "covariance": .array(m.covariance.map { .array($0.map(JSONValue.number)) })]
    }
}
