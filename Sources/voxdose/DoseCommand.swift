import ArgumentParser
import Dosimetry
import Foundation
import PatientStages
import Plausibility
import Reporting
import VoxelIO
import VoxelKernels

/// `voxdose dose PET --out DOSE`: a 90Y absorbed-dose map in Gy (CONTRACT.md `voxdose dose`).
struct Dose: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "90Y absorbed-dose map in Gy from a 90Y PET activity-concentration image (voxdose.dose/1).",
        discussion: """
        Decay: give --implant-time and --reference-time, or --decay-hours, or --no-decay-correction, \
        or a --sidecar with the times; with --calibrate-activity no decay information is needed.
        """)

    @Argument(help: "90Y PET image, activity concentration.", completion: .file()) var pet: String
    @Option(help: "Output dose map (.nii or .nii.gz), Float32 Gy on the PET grid.", completion: .file()) var out: String
    @Option(help: "ldm (local deposition), dvk (voxel S-value kernel) or dvk-path (dvk, plus with a density map the electrons' range through lung along each path; Docs/DVK.md).") var method: DoseMap.Method = .ldm
    @Option(help: "Units of the PET voxels (default Bq/mL, or the sidecar's Units).") var units: ConcentrationUnit?
    @Option(help: "Tissue density, g/mL (default 1.05, liver).") var density: QuantityArgument<DensityGPerML>?
    @Option(help: "Density map on the PET grid, g/mL per voxel.", completion: .file()) var densityMap: String?
    @Option(help: "CT in HU (on the PET grid, or resampled to it trilinearly): the density map, through --ct-calibration.", completion: .file())
    var ct: String?
    @Option(help: "HU-to-density calibration of your scanner: lines HU,density (g/mL) (default: Schneider et al. 1996).", completion: .file())
    var ctCalibration: String?
    @Option(help: ArgumentHelp("Densities per label of --labels, g/mL (e.g. 10=0.30,11=1.06); other voxels get --density.",
                               valueName: "label=density,…"))
    var labelDensity: LabelValues?
    @Option(help: "LDM dose factor K, J/GBq (default 49.67, EANM).") var doseFactor: QuantityArgument<EnergyPerActivity>?
    @Option(help: "90Y half-life (bare number: hours; default 64.05h).") var halfLife: QuantityArgument<DurationHours>?
    @Option(help: "Implantation date-time t0 (ISO 8601).") var implantTime: DateTimeArgument?
    @Option(help: "Date-time the image values refer to (ISO 8601).") var referenceTime: DateTimeArgument?
    @Option(help: "Time from implantation to the image's reference time (bare number: hours).")
    var decayHours: QuantityArgument<DurationHours>?
    @Flag(help: "The image is already at implantation time.") var noDecayCorrection = false
    @Option(help: "BIDS-PET or dcm2niix JSON sidecar of the PET (default: the one beside the image, x.nii.gz → x.json).", completion: .file()) var sidecar: String?
    @Flag(help: "Do not read the BIDS sidecar beside the image (x.nii.gz → x.json).") var noSidecar = false
    @Option(help: "Administered activity to calibrate to, with its unit: 1.8GBq, 1800MBq, 48mCi.") var calibrateActivity: QuantityArgument<ActivityGBq>?
    @Option(help: "Mask (non-zero voxels) whose activity must equal the net administered activity.", completion: .file()) var calibrationMask: String?
    @Option(help: "The calibration region as label K of --labels (instead of --calibration-mask).") var calibrationLabel: Int64?
    @Option(help: "Lung shunt fraction for calibration (0.08 or 8%).") var lungShunt: QuantityArgument<Fraction>?
    @Option(help: "Residual activity left in the vial and lines, with its unit: 1.8GBq, 1800MBq, 48mCi.") var residual: QuantityArgument<ActivityGBq>?
    @Option(help: "Administered activity, with its unit: 1.8GBq, 1800MBq, 48mCi (the image's activity is checked against it: activity_mismatch).")
    var administeredActivity: QuantityArgument<ActivityGBq>?
    @Option(help: "Label image: adds per-label dose statistics to the summary.", completion: .file()) var labels: String?
    @Flag(help: "Map a label image or mask on another grid to the PET grid (nearest neighbour).") var resampleLabels = false
    @Option(help: "Frame of a 4-D PET (0-based).") var frame: Int?
    @Option(help: "Write the summary JSON to FILE instead of stdout.", completion: .file()) var summary: String?
    @OptionGroup var common: CommonOptions

    var calibrated: Bool { calibrateActivity != nil }

    /// The sidecar read: --sidecar, else the one beside the image unless --no-sidecar.
    var sidecarFile: String? { Inputs.sidecarPath(for: pet, given: sidecar, ignoreBeside: noSidecar) }

    func validate() throws {
        if sidecar != nil && noSidecar { throw ValidationError("give --sidecar or --no-sidecar, not both") }
        if let frame, frame < 0 { throw ValidationError("--frame must be 0 or more") }
        if noDecayCorrection && (implantTime != nil || referenceTime != nil || decayHours != nil) {
            throw ValidationError("--no-decay-correction conflicts with --implant-time, --reference-time and --decay-hours")
        }
        if let seconds = decayHours?.base {
            guard seconds >= 0 else { throw ValidationError("--decay-hours must be 0 or more") }
            if implantTime != nil && referenceTime != nil {
                throw ValidationError("--decay-hours conflicts with giving both --implant-time and --reference-time")
            }
        }
        if let rho = density?.base, !(rho > 0) { throw ValidationError("--density must be positive (g/mL)") }
        if density != nil && densityMap != nil { throw ValidationError("give --density or --density-map, not both") }
        if labelDensity != nil && densityMap != nil { throw ValidationError("give --label-density or --density-map, not both") }
        if ct != nil && (densityMap != nil || labelDensity != nil) { throw ValidationError("--ct gives the density map: not with --density-map or --label-density") }
        if ctCalibration != nil && ct == nil { throw ValidationError("--ct-calibration converts the --ct image: give --ct") }
        if labelDensity != nil && labels == nil { throw ValidationError("--label-density applies to the --labels image: give --labels") }
        if let k = doseFactor?.base, !(k > 0) { throw ValidationError("--dose-factor must be positive (J/GBq)") }
        if let t = halfLife?.base, !(t > 0) { throw ValidationError("--half-life must be positive") }
        if calibrationMask != nil && calibrationLabel != nil {
            throw ValidationError("give --calibration-mask or --calibration-label, not both")
        }
        if (calibrateActivity == nil) != (calibrationMask == nil && calibrationLabel == nil) {
            throw ValidationError("--calibrate-activity and --calibration-mask (or --calibration-label) go together")
        }
        if let calibrationLabel {
            guard labels != nil else { throw ValidationError("--calibration-label K is a label of --labels: give --labels") }
            guard calibrationLabel > 0 else { throw ValidationError("--calibration-label must be a positive label") }
        }
        if !calibrated && lungShunt != nil {
            throw ValidationError("--lung-shunt applies to calibration: give --calibrate-activity")
        }
        if !calibrated && administeredActivity == nil && residual != nil {
            throw ValidationError("--residual applies to calibration or to --administered-activity: give one of them")
        }
        if let a = administeredActivity?.base, !(a > 0) { throw ValidationError("--administered-activity must be positive") }
        if let f = lungShunt?.base, !(0..<1).contains(f) { throw ValidationError("--lung-shunt must be in [0, 1)") }
        if let a = calibrateActivity?.base, !(a > 0) { throw ValidationError("--calibrate-activity must be positive") }
        if let r = residual?.base, !(r >= 0) { throw ValidationError("--residual must be 0 or more") }
    }

    /// The refusal of a run whose dose map or total activity would not be finite although the
    /// image is (CONTRACT.md hardening rules): bad usage (64) naming the options that scale the
    /// values when any was given (`--decay-hours 86400`, seconds typed as hours, or
    /// `--dose-factor 1e308`), else exit 1 naming the sidecar keys that did.
    private func overflowRefusal(sidecar: String?) -> Error {
        let options: [(String, Double?)] = [("--decay-hours", decayHours.map { $0.base / 3600 }), ("--half-life", halfLife.map { $0.base / 3600 }),
                                            ("--dose-factor", doseFactor?.base), ("--density", density?.base),
                                            ("--calibrate-activity", calibrateActivity.map { $0.base / 1e9 })]
        var given = options.compactMap { name, value in value.map { "\(name) \(String(format: "%g", $0))" } }
        if labelDensity != nil { given.append("--label-density") }
        if let units { given.append("--units \(units.rawValue)") }
        if implantTime != nil || referenceTime != nil { given.append("--implant-time/--reference-time") }
        let problem = "the dose map would not be finite (it overflows Float32) although the image values are"
        guard given.isEmpty else { return ValidationError("\(problem): check \(given.joined(separator: ", "))") }
        return CommandFailure("\(pet): \(problem): check the image values and RadionuclideHalfLife, Units and the times in \(sidecar ?? "the sidecar")")
    }

    /// The density map from `--ct`: the CT's HU on the PET grid (trilinear when its grid differs),
    /// through the calibration; PET voxels outside the CT get `otherwise`.
    private func densityFromCT(_ path: String, onto grid: GridGeometry, otherwise: Double) throws -> (rho: [Float], outside: Int, calibration: String) {
        let calibration: HUDensityCalibration
        if let ctCalibration {
            guard let text = try? String(contentsOfFile: ctCalibration, encoding: .utf8) else {
                throw CommandFailure("\(ctCalibration): cannot read the CT calibration")
            }
            do { calibration = try HUDensityCalibration(csv: text, source: ctCalibration) } catch let error as HUDensityCalibration.Failure {
                throw CommandFailure("\(ctCalibration): \(error.description)")
            }
        } else {
            calibration = .schneider1996
        }
        let file = try Inputs.open(path)
        guard file.header.frameCount == 1 else { throw CommandFailure("\(path): a CT must be 3-D; it holds \(file.header.frameCount) frames") }
        try Inputs.requireMemory(Double(file.header.voxelsPerFrame * 4 + grid.voxelCount * 8), for: path)
        let volume = try file.readFrame(0)
        let ctGrid = volume.geometry
        var values = (consume volume).voxels  // the only reference: converted in place, not copied
        if !ctGrid.isSameGrid(as: grid) {
            guard let mapped = Resampling.trilinear(values, from: ctGrid, onto: grid) else {
                throw CommandFailure("\(path): the CT's affine is singular; it cannot be resampled")
            }
            values = mapped
        }
        let outside = calibration.convert(&values, otherwise: otherwise)
        return (values, outside, calibration.source)
    }

    /// The plausibility rules of a dose map (Docs/SAFETY.md): the image's activity against the
    /// administered activity (uncalibrated runs), the activity and the largest dose against what
    /// a 90Y treatment gives, and the decay interval.
    private func checkPlausibility(totalActivityGBq: Double, maxGy: Double?, decaySeconds: Double?, sidecar: PETSidecar?) throws {
        if !calibrated {
            var administered: (bq: Double, source: String)?
            if let bq = administeredActivity?.base { administered = (bq, "--administered-activity") }
            else if let bq = try sidecar?.administeredActivityBq(option: "--administered-activity") {
                administered = (bq, "InjectedRadioactivity in \(sidecar!.path)")
            }
            if let administered {
                RunWarnings.add(Plausibility.activityMismatch(imageGBq: totalActivityGBq, administeredGBq: administered.bq / 1e9,
                                                              residualGBq: (residual?.base ?? 0) / 1e9, source: administered.source))
            }
        }
        RunWarnings.add(Plausibility.activityImplausible(totalGBq: totalActivityGBq))
        if let maxGy { RunWarnings.add(Plausibility.doseImplausible(maxGy: maxGy)) }
        if let decaySeconds {
            RunWarnings.add(Plausibility.decayIntervalLong(seconds: decaySeconds, from: "implantation", to: "image's reference time"))
        }
    }

    func run() throws {
        try runReportingFailures(common) {
            let outputs = try OutputFiles([out, summary], inputs: [pet, sidecarFile, densityMap, calibrationMask, labels, ct, ctCalibration])
            try checkVolumeOutputName(out, option: "--out")  // after the safety checks: /dev/null is exit 1
            var warnings: [String] = []
            common.progress("reading \(pet)")
            let (file, volume) = try Inputs.read(pet, frame: frame, workingSet: 4.2, expecting: .pet)
            let grid = volume.geometry
            let meta = try sidecarFile.map { try PETSidecar(path: $0) }

            // The imaged nuclide: a 90Y PET, or an image of another tracer (99mTc-MAA SPECT) or in
            // counts, which only calibration turns into the 90Y dose predicted for an activity.
            var request = DoseStage.Request(source: try DoseImageSource(meta, unitsGiven: units != nil))
            let source = request.source
            if source.predictive {
                guard calibrated, lungShunt != nil else {
                    throw CommandFailure("\(pet): the image is \(source.reason) (\(meta!.path)), not a 90Y PET in Bq/mL: a predictive 90Y dose "
                        + "map needs calibration: give --calibrate-activity A --calibration-mask PERFUSED_LIVER --lung-shunt F")
                }
            }
            let unitFactor = source.predictive && units == nil ? 1 : try ConcentrationUnit.factor(units, sidecar: meta)
            // 90Y's half-life: another nuclide's is never used for the dose.
            let halfLifeSeconds = try halfLife?.base ?? (source.predictive ? nil : meta?.number("RadionuclideHalfLife"))
                ?? Radionuclide.y90.halfLifeSeconds

            // Calibration or decay correction.
            let regionImage = try labels.map { try Inputs.labels($0, onto: grid, gridOf: pet, resample: resampleLabels).image }
            var scale: Double
            if let administered = calibrateActivity?.base {
                if implantTime != nil || referenceTime != nil || decayHours != nil || noDecayCorrection {
                    warnings.append("decay options are ignored with --calibrate-activity: calibration scales the image to implantation time directly")
                }
                let maskPath: String, mask: [Int32]
                if let calibrationMask {
                    maskPath = calibrationMask
                    mask = try Inputs.labels(calibrationMask, onto: grid, gridOf: pet, resample: resampleLabels, asMask: true).image.codes
                } else {
                    let label = calibrationLabel!
                    maskPath = "\(labels!) (label \(label))"
                    guard let code = regionImage!.code(ofLabel: label) else {
                        throw CommandFailure("\(labels!): label \(label) (--calibration-label) is not in the label image on the grid of \(pet)")
                    }
                    mask = regionImage!.codes.map { $0 == code ? 1 : 0 }
                }
                let net = Calibration.netActivityBq(administeredBq: administered, residualBq: residual?.base ?? 0,
                                                    lungShuntFraction: lungShunt?.base ?? 0)
                do throws(Calibration.Failure) {
                    scale = try Calibration.factor(concentrationsBqPerML: volume.voxels, mask: mask,
                                                   voxelVolumeML: grid.voxelVolumeML, netActivityBq: net)
                } catch {
                    switch error {
                    case .noActivityInMask(let sum, let voxels):
                        throw CommandFailure("\(maskPath): the calibration mask holds \(voxels) voxels with a total of \(sum) (image units); calibration needs positive activity inside it")
                    case .nonPositiveNetActivity(let a):
                        throw CommandFailure("\(pet): the net activity to calibrate to is \(a / 1e9) GBq; it must be positive")
                    }
                }
                request.calibrationFactor = scale / unitFactor
            } else {
                request.decay = try DecayTiming.resolve(
                    .init(implantTime: implantTime?.value, referenceTime: referenceTime?.value,
                          decaySeconds: decayHours?.base, noDecayCorrection: noDecayCorrection),
                    sidecar: meta, halfLifeSeconds: halfLifeSeconds, image: pet, warnings: &warnings)
                scale = unitFactor * request.decay.factor
            }

            // Density.
            request.settings.method = method
            request.settings.doseFactorJPerGBq = doseFactor?.base ?? Y90.doseFactorJPerGBq
            request.settings.halfLifeSeconds = halfLifeSeconds
            request.settings.concentrationScale = scale
            request.uniformDensityGPerML = density?.base ?? Y90.liverDensityGPerML
            if let densityMap {
                request.settings.density = .map(try Inputs.densityMap(densityMap, onto: grid, gridOf: pet))
                request.densityIsMap = true
            } else if let ct {
                let (rho, outside, calibration) = try densityFromCT(ct, onto: grid, otherwise: request.uniformDensityGPerML)
                request.settings.density = .map(rho)
                request.densityIsMap = true
                request.ctDensity = (calibration, outside)
            } else if let labelDensity, let regionImage {
                let byCode = labelDensity.values.compactMap { label, rho in regionImage.code(ofLabel: Int64(label)).map { ($0, rho) } }
                request.settings.density = .perLabel(regionImage.codes, densities: Dictionary(uniqueKeysWithValues: byCode),
                                                     otherwise: request.uniformDensityGPerML)
                request.densityByLabel = labelDensity.values
            } else {
                request.settings.density = .uniform(request.uniformDensityGPerML)
            }
            request.sidecar = sidecarFile
            request.unitsToBqPerML = unitFactor
            request.regions = regionImage

            if method != .ldm, !VoxelSValueKernel.y90(voxelMM: grid.spacingMM).reachesFullRange {  // dvk-path convolves too
                let v = grid.spacingMM
                throw CommandFailure("\(pet): voxels of \(String(format: "%g × %g × %g", v.x, v.y, v.z)) mm are too small for the 90Y kernel "
                    + "(it would need more than \(VoxelSValueKernel.maximumTaps) taps per axis); check the header's spacing, or use --method ldm")
            }
            common.progress("computing the \(method.rawValue.uppercased()) dose map")
            // Hand the stage the only reference to the voxels, so LDM can work in place.
            let (doseGy, result) = DoseStage.run(concentrations: (consume volume).voxels, geometry: grid, request)
            if result.overflowed { throw overflowRefusal(sidecar: meta?.path) }
            try checkPlausibility(totalActivityGBq: result.totalActivityGBq, maxGy: result.maxGy.map(Double.init),
                                  decaySeconds: request.decay.elapsedHours.map { $0 * 3600 }, sidecar: meta)
            common.progress("writing \(out)")
            try NIfTIWriter.write(doseGy, to: out, reference: file.header,
                                  description: "VoxDose 90Y absorbed dose Gy (\(method.rawValue.uppercased()))", kind: .doseGy,
                                  maximum: result.maxGy ?? -.infinity, in: outputs)  // as the finite summary of no value gives it
            let document = result.document(output: OutputFiles.recordedName(out), warnings: try RunWarnings.report(warnings))
            try outputs.finish(with: document.serialized(), to: summary)
        }
    }
}
