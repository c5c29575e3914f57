import ArgumentParser
import Dosimetry
import Foundation
import PatientStages
import Plausibility
import PETQuant
import Reporting
import VoxelIO
import VoxelKernels

extension BodyMetrics.Sex: ExpressibleByArgument {}
extension StandardizedUptake.Normalization: ExpressibleByArgument {}

/// `voxdose suv PET --out SUV`: an SUV map and the summary `voxdose.suv/1` (CONTRACT.md).
struct Suv: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "SUV map from a PET image in Bq/mL, with the factor and every parameter used (voxdose.suv/1).")

    enum DecayReference: String, ExpressibleByArgument, CaseIterable { case start, admin }

    @Argument(help: "PET image, activity concentration.", completion: .file()) var pet: String
    @Option(help: "Output SUV map (.nii or .nii.gz), Float32 on the PET grid.", completion: .file()) var out: String
    @Option(help: "BIDS-PET or dcm2niix JSON sidecar (default: the one beside the image, x.nii.gz → x.json).", completion: .file()) var sidecar: String?
    @Flag(help: "Do not read the BIDS sidecar beside the image (x.nii.gz → x.json).") var noSidecar = false
    @Option(help: "Injected activity, with its unit: 1.8GBq, 1800MBq, 48mCi.") var injectedActivity: QuantityArgument<ActivityGBq>?
    @Option(help: "Injection date-time (ISO 8601).") var injectionTime: DateTimeArgument?
    @Option(help: "Date-time the image values refer to (its decay-correction reference, usually scan start).")
    var referenceTime: DateTimeArgument?
    @Option(help: "Body weight, with its unit: 70kg, 154lb, 1300g.") var weight: QuantityArgument<MassKg>?
    @Option(help: "Height (bare number: cm).") var height: QuantityArgument<LengthCm>?
    @Option(help: "male or female (for lean body mass).") var sex: BodyMetrics.Sex?
    @Option(help: "F18, Ga68, C11, Zr89, Tc99m, Lu177 or Y90.") var nuclide: String?
    @Option(help: "Half-life (bare number: seconds).") var halfLife: QuantityArgument<DurationSeconds>?
    @Option(help: "The image is decay-corrected to scan start or to administration.") var decayCorrected: DecayReference?
    @Option(help: "Units of the PET voxels (default Bq/mL, or the sidecar's Units).") var units: ConcentrationUnit?
    @Option(help: "Frame of a 4-D PET (0-based).") var frame: Int?
    @Option(help: "bw, lbm-james, lbm-janmahasatian or bsa.") var normalization: StandardizedUptake.Normalization = .bw
    @Option(help: "Write the summary JSON to FILE instead of stdout.", completion: .file()) var summary: String?
    @OptionGroup var common: CommonOptions

    /// The sidecar read: --sidecar, else the one beside the image unless --no-sidecar.
    var sidecarFile: String? { Inputs.sidecarPath(for: pet, given: sidecar, ignoreBeside: noSidecar) }

    func validate() throws {
        if sidecar != nil && noSidecar { throw ValidationError("give --sidecar or --no-sidecar, not both") }
        if let frame, frame < 0 { throw ValidationError("--frame must be 0 or more") }
        if let nuclide, Radionuclide.named(nuclide) == nil {
            throw ValidationError("--nuclide \(nuclide) is not one of F18, Ga68, C11, Zr89, Tc99m, Lu177, Y90")
        }
        if nuclide != nil && halfLife != nil { throw ValidationError("give --nuclide or --half-life, not both") }
        for (name, value) in [("--injected-activity", injectedActivity?.base), ("--weight", weight?.base),
                              ("--height", height?.base), ("--half-life", halfLife?.base)] {
            if let value, !(value > 0) { throw ValidationError("\(name) must be positive") }
        }
    }

    func run() throws {
        try runReportingFailures(common) {
            let outputs = try OutputFiles([out, summary], inputs: [pet, sidecarFile])
            try checkVolumeOutputName(out, option: "--out")  // after the safety checks: /dev/null is exit 1
            let (file, volume) = try Inputs.read(pet, frame: frame, workingSet: 3.5, expecting: .pet)
            let meta = try sidecarFile.map { try PETSidecar(path: $0) }
            let keysOf = sidecarFile.map { "in \($0)" } ?? "(no --sidecar)"

            let unitFactor = try ConcentrationUnit.factor(units, sidecar: meta)
            // Every value that is missing is named in one error, not one run at a time.
            var missing: [String] = []
            func collect<T>(_ body: () throws -> T) throws -> T? {
                do { return try body() } catch let m as MissingValue { missing.append(m.text); return nil }
            }
            let halfLife = try collect { try resolveHalfLife(meta) }
            let injected = try collect { try resolveInjectedActivity(meta) }
            let weighed = try collect { () throws -> Double in
                guard let kg = try weight?.base ?? meta?.number("BodyWeight") ?? meta?.number("PatientWeight") else {
                    throw MissingValue("the body weight (BodyWeight / PatientWeight; give --weight)")
                }
                return kg
            }
            let heightM = try height?.base ?? meta?.number("PatientSize")
            var patientSex = sex
            if patientSex == nil, let text = meta?.string("PatientSex")?.uppercased() {
                patientSex = text.hasPrefix("M") ? .male : (text.hasPrefix("F") ? .female : nil)
            }
            if normalization != .bw && heightM == nil { missing.append("the height for \(normalization.rawValue) (PatientSize; give --height)") }
            if (normalization == .lbmJames || normalization == .lbmJanmahasatian) && patientSex == nil {
                missing.append("the sex for \(normalization.rawValue) (PatientSex; give --sex)")
            }
            // Decay of the injected activity to the image's reference time.
            let timed = try collect { try resolveTiming(meta) }
            guard let (halfLifeSeconds, nuclideName) = halfLife, let injectedBq = injected, let weightKg = weighed,
                  let timing = timed, missing.isEmpty else {
                throw CommandFailure("\(pet): missing \(missing.joined(separator: "; ")) \(keysOf)")
            }
            RunWarnings.add(Plausibility.decayIntervalLong(seconds: timing.elapsedSeconds, from: "injection", to: "image's reference time"))
            let usesHeight = normalization != .bw
            RunWarnings.add(Plausibility.bodyImplausible(weightKg: weightKg, heightCm: usesHeight ? heightM.map { $0 * 100 } : nil))
            let factor: StandardizedUptake.Factor
            do throws(StandardizedUptake.Failure) {
                factor = try StandardizedUptake.factor(
                    normalization: normalization, injectedBq: injectedBq, elapsedSeconds: timing.elapsedSeconds,
                    halfLifeSeconds: halfLifeSeconds, weightKg: weightKg, heightM: heightM, sex: patientSex)
            } catch {
                switch error {
                case .missing(let what): throw CommandFailure("\(pet): \(normalization.rawValue) needs the patient's \(what) \(keysOf); give --\(what)")
                case .nonPositive(let what): throw CommandFailure("\(pet): the \(what) must be positive")
                }
            }

            var request = SUVStage.Request(normalization: normalization, factor: factor, unitsToBqPerML: unitFactor,
                                           elapsedSeconds: timing.elapsedSeconds, decayBasis: timing.basis, halfLifeSeconds: halfLifeSeconds,
                                           injectedBq: injectedBq, weightKg: weightKg)
            (request.injectionTime, request.referenceTime) = (timing.injection, timing.reference)
            (request.nuclide, request.heightM, request.sex, request.sidecar) = (nuclideName, heightM, patientSex, sidecarFile)
            guard let (suv, maximum) = SUVStage.run(concentrations: (consume volume).voxels, request) else {
                throw overflowRefusal(sidecar: sidecarFile)
            }
            try NIfTIWriter.write(suv, to: out, reference: file.header,
                                  description: "VoxDose SUV (\(normalization.rawValue)) \(factor.unit)", kind: normalization.mapKind,
                                  maximum: maximum, in: outputs)
            let document = request.document(output: OutputFiles.recordedName(out), warnings: try RunWarnings.report())
            try outputs.finish(with: document.serialized(), to: summary)
        }
    }

    /// The refusal of a run whose SUV map would not be finite (or would be all zeros) although
    /// the image is finite (CONTRACT.md hardening rules): bad usage (64) naming the options that
    /// scale the values when any was given, else exit 1 naming the sidecar keys.
    private func overflowRefusal(sidecar: String?) -> Error {
        let options: [(String, String?)] = [("--injected-activity", injectedActivity.map { String(format: "%g MBq", $0.base / 1e6) }),
                                            ("--weight", weight.map { String(format: "%g kg", $0.base) }),
                                            ("--height", height.map { String(format: "%g cm", $0.base * 100) }),
                                            ("--half-life", halfLife.map { String(format: "%g s", $0.base) }),
                                            ("--units", units?.rawValue),
                                            ("--injection-time/--reference-time", injectionTime != nil || referenceTime != nil ? "" : nil)]
        let given = options.compactMap { name, value in value.map { $0.isEmpty ? name : "\(name) \($0)" } }
        let problem = "the SUV map would not be finite and positive where the image is (its factor overflows or vanishes)"
        guard given.isEmpty else { return ValidationError("\(problem): check \(given.joined(separator: ", "))") }
        return CommandFailure("\(pet): \(problem): check the image values and InjectedRadioactivity, RadionuclideHalfLife, "
            + "BodyWeight, Units and the times in \(sidecar ?? "the sidecar")")
    }

    /// --half-life, --nuclide, the sidecar's RadionuclideHalfLife, or its TracerRadionuclide.
    private func resolveHalfLife(_ meta: PETSidecar?) throws -> (Double, String?) {
        if let seconds = halfLife?.base { return (seconds, nil) }
        if let name = nuclide, let n = Radionuclide.named(name) { return (n.halfLifeSeconds, n.symbol) }
        if let seconds = try meta?.number("RadionuclideHalfLife") { return (seconds, meta?.string("TracerRadionuclide")) }
        if let tracer = meta?.string("TracerRadionuclide") ?? meta?.string("Radionuclide") {
            guard let n = Radionuclide.named(tracer) else {
                throw CommandFailure("\(meta!.path): TracerRadionuclide \"\(tracer)\" is not known; give --nuclide or --half-life")
            }
            return (n.halfLifeSeconds, n.symbol)
        }
        throw MissingValue("the half-life (RadionuclideHalfLife / TracerRadionuclide; give --nuclide or --half-life)")
    }

    /// --injected-activity, or the sidecar's (``PETSidecar/administeredActivityBq(option:)``).
    private func resolveInjectedActivity(_ meta: PETSidecar?) throws -> Double {
        if let bq = injectedActivity?.base { return bq }
        guard let bq = try meta?.administeredActivityBq(option: "--injected-activity") else {
            throw MissingValue("the injected activity (InjectedRadioactivity / RadionuclideTotalDose; give --injected-activity)")
        }
        return bq
    }

    /// A value neither an option nor the sidecar supplies; all of them are named in one error.
    struct MissingValue: Error {
        var text: String
        init(_ text: String) { self.text = text }
    }

    struct Timing { var elapsedSeconds: Double; var basis: String; var injection: String?; var reference: String? }

    /// Δt from injection to the image's reference time, or 0 for an image decay-corrected to
    /// administration.
    private func resolveTiming(_ meta: PETSidecar?) throws -> Timing {
        let sidecarMode = try meta?.decayCorrection()
        var mode: PETSidecar.DecayCorrection? = decayCorrected.map { $0 == .start ? .start : .admin } ?? sidecarMode?.mode
        if mode == PETSidecar.DecayCorrection.none {
            guard referenceTime != nil else {
                throw CommandFailure("\(pet): the image is not decay-corrected (\(sidecarMode?.key ?? "DecayCorrection") NONE in \(sidecarFile ?? "the sidecar")); give --reference-time, the time its values refer to")
            }
            mode = .start
        }
        // --reference-time says which time the values refer to: it lifts a sidecar's ADMIN (as
        // for `dose`); an explicit --decay-corrected admin still wins.
        if referenceTime != nil && (mode == nil || (mode == .admin && decayCorrected == nil)) { mode = .start }
        guard let mode else {
            throw MissingValue("the decay correction (DecayCorrection / ImageDecayCorrected; give --decay-corrected start|admin, or --reference-time)")
        }
        if mode == .admin {
            return Timing(elapsedSeconds: 0, basis: "decay-corrected to administration (\(decayCorrected != nil ? "--decay-corrected" : sidecarMode!.key))")
        }
        let sidecarName = sidecarFile ?? "the sidecar"
        var injection: SourcedTime?
        if let t = injectionTime?.value { injection = SourcedTime(t, "--injection-time") }
        else if let t = try meta?.administrationTime() { injection = SourcedTime(t, in: sidecarName) }
        var reference: SourcedTime?
        if let t = referenceTime?.value { reference = SourcedTime(t, "--reference-time") }
        else if let t = try meta?.acquisitionStartTime() { reference = SourcedTime(t, in: sidecarName) }
        guard let injection, let reference else {
            throw MissingValue([injection == nil ? "the injection time (RadiopharmaceuticalStartDateTime / RadiopharmaceuticalStartTime / InjectionStart; give --injection-time)" : nil,
                                reference == nil ? "the reference time (AcquisitionDateTime / SeriesDate+SeriesTime / TimeZero+ScanStart; give --reference-time)" : nil]
                .compactMap { $0 }.joined(separator: "; "))
        }
        let elapsed = try SourcedTime.elapsedSeconds(from: injection, named: "injection", to: reference, image: pet,
                                                     remedy: "give --injection-time and --reference-time")
        return Timing(elapsedSeconds: elapsed, basis: "reference time from \(reference.source), injection from \(injection.source)",
                      injection: injection.iso8601, reference: reference.iso8601)
    }
}
