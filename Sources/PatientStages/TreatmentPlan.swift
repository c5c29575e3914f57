import Dosimetry
import PETQuant
import Planning
import Reporting

/// The plan of a patient (`voxdose.plan/1`) as a value: every lesion's dose × hypoxia group,
/// expected response and dose needed under a response model, the activity prescribed from the
/// lesion table under the liver and lung limits, and the partition and BSA methods
/// (Docs/PLANNING.md) — and the one place its document is written.
public struct TreatmentPlan: Sendable {
    /// What a plan is asked for.
    public struct Request: Sendable {
        /// The lesion table and the file it came from (named in messages); nil: only the
        /// partition or BSA method.
        public var table: PlanTable?
        public var tableSource = "the lesion table"
        public var model = ResponseModel.arteMiso
        /// The model is the built-in ARTE-MISO one (not a fitted file).
        public var defaultModel: Bool { model == .arteMiso }
        /// Strict cut-offs: "above" means greater.
        public var doseCutoffGy = 89.0
        public var hypoxiaCutoff = ResponseModel.arteMisoHypoxiaCutoff
        /// The response probability the dose needed reaches.
        public var targetResponse = 0.8
        public var microspheres = Microspheres.resin
        /// Lung shunt, lung mass and limits; `lungShuntFraction` is 0 when no shunt was given.
        public var limits = TreatmentLimits(lungShuntFraction: 0, normalLiverLimitGy: Microspheres.resin.normalLiverLimitGy)
        /// A lung shunt was given: prescribe from the table, and report the limits.
        public var prescribe = false
        /// The activity the dose map's doses correspond to, GBq, and the normal liver's mean dose
        /// at it, Gy (default: the table's).
        public var activityGBq: Double?
        public var normalLiverDoseGy: Double?
        /// Target lesions by label; nil: all.
        public var targets: Set<Int>?
        public var partition: (tumourMassKg: Double, normalLiverMassKg: Double, tumourToNormalRatio: Double)?
        public var bsa: (weightKg: Double, heightM: Double, tumourVolumeML: Double, liverVolumeML: Double)?
        public init() {}
    }

    /// One lesion's plan.
    public struct PlannedLesion: Sendable {
        public var lesion: PlanTable.Lesion
        /// The terms the model was evaluated at (`hypoxic` recomputed at the plan's cut-off,
        /// categorical indicators added).
        public var terms: [String: Double]
        public var group: DoseHypoxiaGroup?
        public var prediction: ResponseModel.Prediction?
        public var doseNeededGy: Double?
        /// Why a prediction or dose needed is missing.
        public var notes: [String]
        /// With a model derived from published figures (the default): the extremes of P and of
        /// the dose needed over its scenarios (`high` of the dose nil when one never reaches it).
        public var responseRange: (low: Double, high: Double)?
        public var doseNeededRange: (low: Double, high: Double?)?
    }

    /// The activity prescribed from the lesion table.
    public struct Prescription: Sendable {
        public var activityGBq: Double?
        public var maximumActivityGBq: Double?
        public var binding: BindingConstraint?
        public var normalLiverDoseGy: Double?
        public var lungDoseGy: Double?
        /// Each lesion's Dmean and expected response at the prescribed activity.
        public var lesions: [(label: Int, doseGy: Double?, expectedResponse: Double?)]
    }

    public var request: Request
    /// Empty without a lesion table.
    public var lesions: [PlannedLesion] = []
    public var prescription: Prescription?
    /// The activity and normal-liver dose the table's doses correspond to, when prescribing.
    public var referenceActivityGBq: Double?
    public var referenceNormalLiverDoseGy: Double?
    public var partition: PartitionModel.Result?
    public var bsa: BodySurfaceAreaMethod?
    /// What the plan itself warns of (a prescription leaving lesions out, a model used outside
    /// its derivation, a lung shunt no resin treatment allows).
    public var warnings: [String] = []

    /// Plans `request`.
    /// - Throws: ``StageFailure`` when a prescription lacks the activity or the normal-liver
    ///   dose, names a target the table does not hold, or the BSA method gives no activity.
    public static func make(_ request: Request) throws -> TreatmentPlan {
        var plan = TreatmentPlan(request: request)
        if request.table != nil && !request.model.scenarios.isEmpty {
            plan.warnings.append("default_model: the response model is derived from the ARTE-MISO abstract's group rates (25 patients, 54 lesions), "
                + "not fitted to lesion data: its expected response and dose needed are uncertain beyond their intervals "
                + "(expected_response_range, dose_needed_range_gy); fit local data with `voxdose cohort --fit` and give it with --model")
        }
        if request.defaultModel && request.hypoxiaCutoff != ResponseModel.arteMisoHypoxiaCutoff {
            plan.warnings.append("the default model's hypoxic term was derived at T/BP > 1.29; with --hypoxia-cutoff \(request.hypoxiaCutoff) its predictions are outside what it was derived for")
        }
        if let table = request.table {
            plan.lesions = table.lesions.map(request.plan)
            if request.prescribe { try plan.prescribe(from: table) }
        }
        if let p = request.partition {
            plan.partition = PartitionModel(tumourMassKg: p.tumourMassKg, normalLiverMassKg: p.normalLiverMassKg,
                                            tumourToNormalRatio: p.tumourToNormalRatio, limits: request.limits).result
        }
        if let b = request.bsa {
            let area = BodyMetrics.bodySurfaceAreaDuBoisM2(weightKg: b.weightKg, heightM: b.heightM)
            let method = BodySurfaceAreaMethod(bodySurfaceAreaM2: area, tumourVolumeML: b.tumourVolumeML,
                                               liverVolumeML: b.liverVolumeML, lungShuntFraction: request.limits.lungShuntFraction)
            guard area - 0.2 + method.tumourInvolvement > 0 else {
                throw StageFailure("BSA method: BSA \(String(format: "%.3f", area)) m² from --weight and --height gives no positive activity")
            }
            plan.bsa = method
            if method.activityGBq == nil {
                plan.warnings.append("BSA method: lung shunt \(String(format: "%.4g", request.limits.lungShuntFraction * 100)) % is above 20 %: no resin treatment")
            }
        }
        return plan
    }

    /// The prescription from the table: each target lesion's activity for its dose needed, the
    /// smallest of them within the liver and lung limits (``TablePrescription``).
    private mutating func prescribe(from table: PlanTable) throws {
        let path = request.tableSource
        guard let a0 = request.activityGBq ?? table.activityGBq else {
            throw StageFailure("\(path): no activity for the dose map (parameters.activity_gbq is null); give --activity")
        }
        guard let dNL = request.normalLiverDoseGy ?? table.normalLiverDoseGy else {
            throw StageFailure("\(path): no normal-liver dose (references.normal_liver_dose_mean_gy is absent); give --normal-liver-dose")
        }
        guard a0 > 0 else { throw StageFailure("\(path): parameters.activity_gbq is \(a0), not a positive activity; give --activity") }
        guard dNL >= 0 else {
            throw StageFailure("\(path): references.normal_liver_dose_mean_gy is \(dNL) Gy, a negative dose; give --normal-liver-dose")
        }
        referenceActivityGBq = a0
        referenceNormalLiverDoseGy = dNL
        let limits = request.limits
        let rx = TablePrescription(referenceActivityGBq: a0, normalLiverDoseAtReferenceGy: dNL, limits: limits)
        let known = Set(lesions.map(\.lesion.label))
        if let absent = request.targets?.subtracting(known).sorted().first {
            throw StageFailure("\(path): --targets names label \(absent), which is not a lesion of the table")
        }
        let targets = request.targets ?? known
        var activities: [Double] = [], left: [String] = []
        for p in lesions where targets.contains(p.lesion.label) {
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
        prescription = Prescription(
            activityGBq: a, maximumActivityGBq: rx.maximum?.activityGBq, binding: chosen?.binding,
            normalLiverDoseGy: a.map { rx.liverSideDoseGy(dNL, activityGBq: $0) }, lungDoseGy: a.map { limits.lungDoseGy(activityGBq: $0) },
            lesions: lesions.map { p in
                let dose = p.terms[ResponseModel.doseTerm].flatMap { d in a.map { rx.liverSideDoseGy(d, activityGBq: $0) } }
                var terms = p.terms
                terms[ResponseModel.doseTerm] = dose
                return (p.lesion.label, dose, dose == nil ? nil : request.model.predict(terms)?.probability)
            })
    }

    // MARK: - Document

    /// The `voxdose.plan/1` document, with the run's `warnings`.
    public func document(warnings: JSONValue) -> JSONObject {
        var body: JSONObject = [:]
        var parameters: JSONObject = [
            "dose_cutoff_gy": .number(request.doseCutoffGy), "hypoxia_cutoff": .number(request.hypoxiaCutoff),
            "target_response": .number(request.targetResponse),
        ]
        let limits = request.limits
        if request.prescribe || request.partition != nil {
            parameters["lung_shunt"] = .number(limits.lungShuntFraction)
            parameters["lung_mass_kg"] = .number(limits.lungMassKg)
            parameters["lung_limit_gy"] = .number(limits.lungLimitGy)
            parameters["normal_liver_limit_gy"] = .number(limits.normalLiverLimitGy)
            parameters["microspheres"] = .string(request.microspheres.rawValue)
            parameters["dose_factor_j_per_gbq"] = .number(Y90.doseFactorJPerGBq)
        }
        if request.table != nil {
            body["model"] = .object(modelBlock)
            body["lesions"] = .array(lesions.map { .object(object($0)) })
            if let rx = prescription {
                body["prescription"] = .object([
                    "activity_gbq": .number(rx.activityGBq), "activity_max_gbq": .number(rx.maximumActivityGBq),
                    "binding_constraint": .string(rx.binding?.rawValue),
                    "normal_liver_dose_gy": .number(rx.normalLiverDoseGy), "lung_dose_gy": .number(rx.lungDoseGy),
                    "lesions": .array(rx.lesions.map {
                        .object(["label": .int($0.label), "dose_gy": .number($0.doseGy), "expected_response": .number($0.expectedResponse)])
                    }),
                ])
                parameters["activity_gbq"] = .number(referenceActivityGBq)
                parameters["normal_liver_dose_reference_gy"] = .number(referenceNormalLiverDoseGy)
            }
        }
        if let r = partition {
            body["partition"] = .object([
                "activity_gbq": .number(r.activityGBq), "tumour_dose_gy": .number(r.tumourDoseGy),
                "normal_liver_dose_gy": .number(r.normalLiverDoseGy), "lung_dose_gy": .number(r.lungDoseGy),
                "binding_constraint": .string(r.binding.rawValue),
            ])
        }
        if let method = bsa {
            body["bsa"] = .object([
                "bsa_m2": .number(method.bodySurfaceAreaM2), "tumour_involvement": .number(method.tumourInvolvement),
                "activity_gbq": .number(method.activityGBq), "lung_shunt_reduction": .number(method.lungShuntReduction),
                "binding_constraint": method.activityGBq == nil ? .string(BindingConstraint.lungShunt.rawValue) : .null,
            ])
        }
        body["parameters"] = .object(parameters)
        body["warnings"] = warnings
        return JSONObject.document(schema: "voxdose.plan/1", body)
    }

    /// One lesion's row of the plan; the range keys only with a model that has scenarios.
    func object(_ p: PlannedLesion) -> JSONObject {
        var object: JSONObject = [
            "label": .int(p.lesion.label), "name": .string(p.lesion.name),
            "dose_mean_gy": .number(p.terms[ResponseModel.doseTerm]), "t_bp": .number(p.terms["t_bp"]),
            "hypoxic": p.terms["hypoxic"].map { .bool($0 == 1) } ?? .null,
            "group": .string(p.group?.rawValue),
            "expected_response": .number(p.prediction?.probability),
            "expected_response_ci95": p.prediction.map { .array([.number($0.ci95.low), .number($0.ci95.high)]) } ?? .null,
            "dose_needed_gy": .number(p.doseNeededGy),
            "response_note": p.notes.isEmpty ? .null : .string(p.notes.joined(separator: "; ")),
        ]
        if !request.model.scenarios.isEmpty {
            object["expected_response_range"] = p.responseRange.map { .array([.number($0.low), .number($0.high)]) } ?? .null
            object["dose_needed_range_gy"] = p.doseNeededRange.map { .array([.number($0.low), .number($0.high)]) } ?? .null
        }
        return object
    }

    /// The model block: its source, terms, coefficients and covariance.
    var modelBlock: JSONObject {
        let m = request.model.logistic
        var terms = JSONObject()
        for (name, coefficient) in zip(m.termOrder, m.coefficients) { terms[name] = .number(coefficient) }
        return ["source": .string(m.source), "term_order": .array(m.termOrder.map(JSONValue.string)),
                "terms": .object(terms), "n": .int(m.n),
                "covariance": .array(m.covariance.map { .array($0.map(JSONValue.number)) })]
    }
}

extension TreatmentPlan.Request {
    /// One lesion's group, expected response and dose needed under the model.
    func plan(_ lesion: PlanTable.Lesion) -> TreatmentPlan.PlannedLesion {
        var terms = lesion.terms
        let tBP = terms["t_bp"]
        terms["hypoxic"] = tBP.map { $0 > hypoxiaCutoff ? 1 : 0 }
        let dose = terms[ResponseModel.doseTerm]
        let group = DoseHypoxiaGroup(doseMeanGy: dose, tBP: tBP, doseCutoffGy: doseCutoffGy, hypoxiaCutoff: hypoxiaCutoff)
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
        var needed: Double?
        switch model.doseNeeded(target: targetResponse, terms: terms) {
        case .success(let d): needed = d
        case .failure(.missingTerms): break  // named above
        case .failure(.noDoseTerm): notes.append("the model has no \(ResponseModel.doseTerm) term: no dose can be solved for")
        case .failure(.unreachable): notes.append("no dose reaches a response probability of \(targetResponse) for this lesion under the model")
        }
        return .init(lesion: lesion, terms: terms, group: group, prediction: model.predict(terms), doseNeededGy: needed, notes: notes,
                     responseRange: model.responseRange(terms), doseNeededRange: model.doseNeededRange(target: targetResponse, terms: terms))
    }
}

extension ResponseModel {
    /// The T/BP cut-off of ARTE-MISO, at which the default model's hypoxic term was derived.
    public static let arteMisoHypoxiaCutoff = 1.29
}
