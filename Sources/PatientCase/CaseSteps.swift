import Foundation
import VoxelIO

/// One step of a case: a `voxdose` command line run from the study's folder, its outputs (file
/// names in the case folder) and the files it reads from the study.
public struct CaseStep: Sendable {
    /// An argument: text as it is, or a file of the case folder (written with the folder the
    /// command line is for: the final folder in `case.json`, the staging folder while running).
    public enum Argument: Sendable, Equatable {
        case text(String)
        case caseFile(String)
        /// The case folder itself.
        case caseFolder
    }

    public var name: String
    /// The arguments after `voxdose`.
    public var arguments: [Argument]
    /// File names in the case folder, in the order the command writes them.
    public var outputs: [String]
    /// Files of the study the step reads, as the study writes them.
    public var inputs: [String]

    /// The command line with the case's files in `folder`.
    public func argv(caseFolder folder: String) -> [String] {
        ["voxdose"] + arguments.map {
            switch $0 {
            case .text(let text): return text
            case .caseFile(let name): return folder + "/" + name
            case .caseFolder: return folder
            }
        }
    }
}

/// The steps a study allows, in the order they run (Docs/CASE.md): what each reads from the
/// study, what it takes from the steps before it, and the options the study adds.
public struct CaseSteps: Sendable {
    public let study: Study

    /// The step names in the order they run, for the scans given.
    public enum Name: String, CaseIterable, Sendable {
        case dose, suvFMISO = "suv_fmiso", suvFDGBaseline = "suv_fdg_baseline", suvFDGFollowup = "suv_fdg_followup"
        case shunt, maaDose = "maa_dose", maaLesions = "maa_lesions"
        case lesions, response, plan, compare, report
    }

    /// Figures a step takes from the steps before it, read from their outputs.
    public struct Carried: Sendable {
        /// The dose step's `total_activity_gbq`: the lesion table's `--activity`.
        public var doseActivityGBq: Double?
        /// The shunt step's `lung_shunt_fraction` (used when the treatment gives none).
        public var lungShuntFraction: Double?
        public init(doseActivityGBq: Double? = nil, lungShuntFraction: Double? = nil) {
            self.doseActivityGBq = doseActivityGBq
            self.lungShuntFraction = lungShuntFraction
        }
    }

    /// The planned activity the MAA SPECT is calibrated to when the treatment names none.
    public static let defaultPlannedActivity = "1GBq"

    /// - Throws: ``VoxelIOError`` naming the study and the key when the study lacks what its
    ///   scans need: a label image for each PET, the perfused liver for the MAA SPECT, and the
    ///   lung (or a lung shunt in `treatment`).
    public init(_ study: Study) throws {
        self.study = study
        for kind in [Study.ScanKind.y90PET, .fmisoPET, .fdgBaseline, .fdgFollowup, .maaSPECT] where study.scans[kind] != nil {
            guard study.scans[kind]?.labels != nil else {
                throw VoxelIOError(study.path, "labels: is missing: \(kind.rawValue) needs a label image (the study's labels, or \(kind.rawValue).labels)")
            }
        }
        if study.scans[.maaSPECT] != nil {
            guard study.regions[.liver] != nil else {
                throw VoxelIOError(study.path, "regions.liver: is missing: the MAA SPECT is calibrated inside the perfused liver (a mask path, or its label in the MAA scan's labels)")
            }
            guard study.regions[.lung] != nil || study.treatment.lungShunt != nil else {
                throw VoxelIOError(study.path, "regions.lung: is missing: the lung shunt comes from the MAA SPECT's lung and liver counts (or give treatment.lung_shunt)")
            }
        }
    }

    /// The steps that run for this study, in order.
    public var names: [Name] {
        let scans = study.scans
        let y90 = scans[.y90PET] != nil, maa = scans[.maaSPECT] != nil
        var names: [Name] = []
        if y90 { names.append(.dose) }
        if scans[.fmisoPET] != nil { names.append(.suvFMISO) }
        if scans[.fdgBaseline] != nil { names.append(.suvFDGBaseline) }
        if scans[.fdgFollowup] != nil { names.append(.suvFDGFollowup) }
        if maa && study.regions[.lung] != nil { names.append(.shunt) }
        if maa { names += [.maaDose, .maaLesions] }
        if y90 { names.append(.lesions) }
        if scans[.fdgBaseline] != nil && scans[.fdgFollowup] != nil { names.append(.response) }
        names.append(.plan)
        if y90 && maa { names.append(.compare) }
        names.append(.report)
        return names
    }

    /// The step `name`, with what the steps before it gave.
    public func step(_ name: Name, carried: Carried = Carried()) -> CaseStep {
        switch name {
        case .dose: return dose()
        case .suvFMISO: return uptake(.fmisoPET, name: name, map: "fmiso_suv", normalization: nil)
        case .suvFDGBaseline: return uptake(.fdgBaseline, name: name, map: "fdg_baseline_sul", normalization: "lbm-janmahasatian")
        case .suvFDGFollowup: return uptake(.fdgFollowup, name: name, map: "fdg_followup_sul", normalization: "lbm-janmahasatian")
        case .shunt: return shunt()
        case .maaDose: return maaDose(carried)
        case .maaLesions: return lesions(.maaSPECT, dose: "maa_dose.nii.gz", activity: maaLiverActivityGBq(carried), table: "maa_lesions")
        case .lesions: return lesions(.y90PET, dose: "dose.nii.gz", activity: carried.doseActivityGBq.map { "\($0)GBq" }, table: "lesions")
        case .response: return response()
        case .plan: return plan(carried)
        case .compare: return compare()
        case .report:
            return CaseStep(name: name.rawValue, arguments: [.text("report"), .caseFolder], outputs: ["report.html"], inputs: [])
        }
    }

    /// The lung shunt fraction as a command line writes it: the treatment's, else the shunt step's.
    private func lungShunt(_ carried: Carried) -> String? {
        study.treatment.lungShunt ?? carried.lungShuntFraction.map { "\($0)" }
    }

    private var plannedActivity: String { study.treatment.administeredActivity ?? Self.defaultPlannedActivity }

    /// A·(1 − F): the activity inside the perfused liver that the predictive map holds.
    private func maaLiverActivityGBq(_ carried: Carried) -> String? {
        guard let bq = Quantity.parse(plannedActivity, as: .activity), let text = lungShunt(carried) else { return nil }
        let fraction = text.hasSuffix("%") ? Quantity.parse(text, as: .fraction) : Double(text)
        return fraction.map { "\(bq / 1e9 * (1 - $0))GBq" }
    }

    private func dose() -> CaseStep {
        let scan = study.scans[.y90PET]!
        var line = StepLine("dose", input: scan.image)
        line.output("--out", "dose.nii.gz")
        line.output("--summary", "dose.json")
        if scan.sidecarNamed, let sidecar = scan.sidecar { line.set("--sidecar", sidecar) }
        let t = study.treatment
        if let time = t.implantTime { line.set("--implant-time", time) }
        if let activity = t.administeredActivity {
            line.set("--administered-activity", activity)
            if let residual = t.residualActivity { line.set("--residual", residual) }
        }
        line.apply(scan.options)
        return line.step(.dose, reading: scan.sidecar)
    }

    private func uptake(_ kind: Study.ScanKind, name: Name, map: String, normalization: String?) -> CaseStep {
        let scan = study.scans[kind]!
        var line = StepLine("suv", input: scan.image)
        line.output("--out", map + ".nii.gz")
        line.output("--summary", map + ".json")
        if scan.sidecarNamed, let sidecar = scan.sidecar { line.set("--sidecar", sidecar) }
        if let normalization { line.set("--normalization", normalization) }
        line.apply(scan.options)
        return line.step(name, reading: scan.sidecar)
    }

    /// The lesion table of a dose map (`dose` from the 90Y PET, or `maa_dose`): the dose scan's
    /// labels, the FMISO SUV with its own labels, the references on the maps they serve.
    private func lesions(_ doseScan: Study.ScanKind, dose: String, activity: String?, table: String) -> CaseStep {
        var line = StepLine("lesions")
        line.set("--labels", study.scans[doseScan]!.labels!)
        line.input("--dose", dose)
        if let suvScan = study.scans[.fmisoPET] {
            line.input("--suv", "fmiso_suv.nii.gz")
            line.set("--suv-labels", suvScan.labels!)
            region(.muscle, into: &line, label: "--muscle-label", mask: "--muscle-mask")
            region(.bloodPool, into: &line, label: "--blood-pool-label", mask: "--blood-pool-mask")
        }
        region(.normalLiver, into: &line, label: "--normal-liver-label", mask: "--normal-liver-mask")
        notLesions(besides: study.scans[.fmisoPET] != nil ? [.normalLiver, .muscle, .bloodPool] : [.normalLiver], into: &line)
        if let names = study.names { line.set("--names", names) }
        line.flag("--resample-labels")
        if let activity { line.set("--activity", activity) }
        line.set("--patient-id", study.patientID)
        // The DVH of the case's dose map: the 90Y PET's, else (before the treatment) the MAA's prediction.
        if doseScan == .y90PET || study.scans[.y90PET] == nil { line.output("--dvh", "dvh.csv") }
        if doseScan == .y90PET { line.output("--csv", "lesions.csv") }
        line.output("--out", table + ".json")
        line.apply(study.lesionsOptions)
        return line.step(doseScan == .y90PET ? .lesions : .maaLesions)
    }

    /// The lung shunt fraction from the MAA SPECT's counts in the lung and the perfused liver.
    private func shunt() -> CaseStep {
        let scan = study.scans[.maaSPECT]!
        var line = StepLine("shunt", input: scan.image)
        organ(.lung, into: &line, mask: "--lung", label: "--lung-label", labels: scan.labels!)
        organ(.liver, into: &line, mask: "--liver", label: "--liver-label", labels: scan.labels!)
        line.flag("--resample-labels")
        line.output("--out", "shunt.json")
        return line.step(.shunt)
    }

    /// The 90Y dose predicted from the MAA SPECT: calibrated to the planned activity inside the
    /// perfused liver, with the lung shunt.
    private func maaDose(_ carried: Carried) -> CaseStep {
        let scan = study.scans[.maaSPECT]!
        var line = StepLine("dose", input: scan.image)
        line.output("--out", "maa_dose.nii.gz")
        line.output("--summary", "maa_dose.json")
        if scan.sidecarNamed, let sidecar = scan.sidecar { line.set("--sidecar", sidecar) }
        line.set("--calibrate-activity", plannedActivity)
        organ(.liver, into: &line, mask: "--calibration-mask", label: "--calibration-label", labels: scan.labels!)
        if let shunt = lungShunt(carried) { line.set("--lung-shunt", shunt) }
        line.flag("--resample-labels")
        line.apply(scan.options)
        return line.step(.maaDose, reading: scan.sidecar)
    }

    private func compare() -> CaseStep {
        var line = StepLine("compare")
        line.input("--predicted", "maa_lesions.json")
        line.input("--delivered", "lesions.json")
        line.output("--out", "compare.json")
        return line.step(.compare)
    }

    /// An organ of the MAA scan as a mask, or as a label of the scan's label image.
    private func organ(_ region: Study.Region, into line: inout StepLine, mask: String, label: String, labels: String) {
        switch study.regions[region] {
        case .label(let k)?:
            line.set("--labels", labels)
            line.set(label, String(k))
        case .mask(let path)?: line.set(mask, path)
        case nil: break
        }
    }

    private func response() -> CaseStep {
        let baseline = study.scans[.fdgBaseline]!, followup = study.scans[.fdgFollowup]!
        var line = StepLine("response")
        line.input("--baseline", "fdg_baseline_sul.nii.gz")
        line.set("--baseline-labels", baseline.labels!)
        line.input("--followup", "fdg_followup_sul.nii.gz")
        line.set("--followup-labels", followup.labels!)
        region(.normalLiver, into: &line, label: "--liver-label", mask: "--liver-mask")
        region(.bloodPool, into: &line, label: "--blood-pool-label", mask: "--blood-pool-mask")
        notLesions(besides: [.normalLiver, .bloodPool], into: &line)
        line.flag("--resample-labels")
        line.output("--out", "response.json")
        return line.step(.response)
    }

    /// The plan from the 90Y lesion table, or from the MAA one when there is no 90Y PET.
    private func plan(_ carried: Carried) -> CaseStep {
        var line = StepLine("plan", caseInput: study.scans[.y90PET] != nil ? "lesions.json" : "maa_lesions.json")
        let t = study.treatment
        // Prescription options need a lung shunt and the normal liver's dose; without them the
        // plan gives groups, expected response and dose needed only (``warnings`` says why).
        if let shunt = lungShunt(carried), prescribes {
            line.set("--lung-shunt", shunt)
            if let mass = t.lungMass { line.set("--lung-mass", mass) }
            line.set("--microspheres", t.microspheres.rawValue)
        }
        line.output("--out", "plan.json")
        line.apply(study.planOptions)
        return line.step(.plan)
    }

    /// Whether the plan can prescribe: the normal liver's mean dose comes from `regions.normal_liver`
    /// or from the plan's own `normal-liver-dose` option.
    private var prescribes: Bool {
        study.regions[.normalLiver] != nil || study.planOptions.entries.contains { $0.name == "normal-liver-dose" }
    }

    /// Warnings of the case itself (before any step runs).
    public var warnings: [String] {
        let shuntGiven = study.treatment.lungShunt != nil || (study.scans[.maaSPECT] != nil && study.regions[.lung] != nil)
        guard shuntGiven && !prescribes else { return [] }
        return ["prescription_skipped: the study gives a lung shunt but no regions.normal_liver, so the plan has no normal-liver "
            + "dose to limit and prescribes no activity; give regions.normal_liver (or plan.normal-liver-dose)"]
    }

    /// Region labels the step does not use as references are still not lesions.
    private func notLesions(besides used: [Study.Region], into line: inout StepLine) {
        let labels = Study.Region.allCases.filter { !used.contains($0) }.compactMap { region -> Int64? in
            if case .label(let k)? = study.regions[region] { return k }
            return nil
        }
        if !labels.isEmpty { line.set("--not-lesion-labels", Set(labels).sorted().map(String.init).joined(separator: ",")) }
    }

    private func region(_ region: Study.Region, into line: inout StepLine, label: String, mask: String) {
        switch study.regions[region] {
        case .label(let k)?: line.set(label, String(k))
        case .mask(let path)?: line.set(mask, path)
        case nil: break
        }
    }
}

/// A command line being built: options in order, each set once (a later `set` replaces the
/// value in place), and the study's options applied last.
private struct StepLine {
    private(set) var arguments: [CaseStep.Argument]
    /// Each option's words: its name, and its value unless it is a flag.
    private var options: [(name: String, value: CaseStep.Argument?)] = []
    private var outputs: [String] = []
    private var inputs: [String] = []

    /// `voxdose COMMAND [INPUT]`: the positional input, when there is one, is read from the study.
    init(_ command: String, input: String? = nil) {
        arguments = [.text(command)]
        if let input { arguments.append(.text(input)); inputs.append(input) }
    }

    /// A positional input from the case folder (the lesion table of `plan`).
    init(_ command: String, caseInput: String) {
        arguments = [.text(command), .caseFile(caseInput)]
    }

    mutating func set(_ option: String, _ value: String) {
        place(option, .text(value))
        if StepOptions.fileOptions.contains(String(option.dropFirst(2))) { inputs.append(value) }
    }

    mutating func input(_ option: String, _ caseFile: String) { place(option, .caseFile(caseFile)) }

    mutating func output(_ option: String, _ caseFile: String) {
        place(option, .caseFile(caseFile))
        outputs.append(caseFile)
    }

    mutating func flag(_ option: String) { place(option, nil) }

    private mutating func place(_ option: String, _ value: CaseStep.Argument?) {
        if let index = options.firstIndex(where: { $0.name == option }) {
            options[index].value = value
        } else {
            options.append((option, value))
        }
    }

    /// The study's options for this step: each replaces what the study implied, `false` drops it.
    mutating func apply(_ studyOptions: StepOptions) {
        for (name, value) in studyOptions.entries {
            let option = "--" + name
            switch value {
            case .value(let text): set(option, text)
            case .flag: flag(option)
            case .absent: options.removeAll { $0.name == option }
            }
        }
    }

    func step(_ name: CaseSteps.Name, reading extra: String? = nil) -> CaseStep {
        var read: [String] = []
        for path in inputs + (extra.map { [$0] } ?? []) where !read.contains(path) { read.append(path) }
        let words = arguments + options.flatMap { [CaseStep.Argument.text($0.name)] + ($0.value.map { [$0] } ?? []) }
        return CaseStep(name: name.rawValue, arguments: words, outputs: outputs, inputs: read)
    }
}
