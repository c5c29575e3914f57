import Dosimetry
import Foundation
import PatientStages
import VoxelIO

/// The decay correction of `voxdose dose` (``DecayTiming``) resolved from options and sidecar
/// keys by the rules of CONTRACT.md (`voxdose dose`, "Decay").
extension DecayTiming {
    struct Options {
        var implantTime: WrittenDateTime?
        var referenceTime: WrittenDateTime?
        /// `--decay-hours`, in seconds.
        var decaySeconds: Double?
        var noDecayCorrection: Bool
    }

    /// - Throws: ``CommandFailure`` (exit 1) when the information is missing or contradictory.
    static func resolve(_ options: Options, sidecar: PETSidecar?, halfLifeSeconds: Double, image: String,
                        warnings: inout [String]) throws -> DecayTiming {
        if options.noDecayCorrection {
            return DecayTiming(factor: 1, basis: "--no-decay-correction")
        }
        let mode = try sidecar?.decayCorrection()
        let sidecarName = sidecar?.path ?? "the sidecar"
        // A sidecar's ADMIN is lifted only by --reference-time.
        if mode?.mode == .admin && options.referenceTime == nil {
            if options.decaySeconds != nil {
                warnings.append("--decay-hours is ignored: \(sidecarName) says the image is decay-corrected to administration (ADMIN); only --reference-time lifts that")
            }
            return DecayTiming(factor: 1, basis: "\(mode!.key) ADMIN in \(sidecarName): already decay-corrected to administration")
        }
        if let seconds = options.decaySeconds {
            return DecayTiming(factor: Decay.correctionFactor(elapsedSeconds: seconds, halfLifeSeconds: halfLifeSeconds),
                               basis: "--decay-hours", elapsedHours: seconds / 3600)
        }
        if mode?.mode == PETSidecar.DecayCorrection.none && options.referenceTime == nil {
            throw CommandFailure("\(image): the image is not decay-corrected (\(mode!.key) in \(sidecarName)): "
                + "give --reference-time (the time its values refer to) or --decay-hours, or calibrate with --calibrate-activity")
        }

        // t0 and t_ref: options first, then the sidecar, one by one.
        var implant: SourcedTime?
        if let t = options.implantTime { implant = SourcedTime(t, "--implant-time") }
        else if let t = try sidecar?.administrationTime() { implant = SourcedTime(t, in: sidecarName) }
        var reference: SourcedTime?
        if let t = options.referenceTime { reference = SourcedTime(t, "--reference-time") }
        else if mode?.mode == .start, let t = try sidecar?.acquisitionStartTime() { reference = SourcedTime(t, in: sidecarName) }

        guard let implant, let reference else {
            let missing = [implant == nil ? "the implantation time (--implant-time, or RadiopharmaceuticalStartDateTime / InjectionStart in --sidecar)" : nil,
                           reference == nil ? "the image's reference time (--reference-time, or a --sidecar with DecayCorrection START and AcquisitionDateTime, SeriesDate/SeriesTime or TimeZero/ScanStart)" : nil]
                .compactMap { $0 }.joined(separator: " and ")
            throw CommandFailure("\(image): cannot decay-correct to implantation without \(missing); "
                + "or give --decay-hours, --no-decay-correction, or --calibrate-activity")
        }
        let elapsed = try SourcedTime.elapsedSeconds(from: implant, named: "implantation", to: reference, image: image,
                                                     remedy: "give both --implant-time and --reference-time")
        return DecayTiming(factor: Decay.correctionFactor(elapsedSeconds: elapsed, halfLifeSeconds: halfLifeSeconds),
                           basis: "reference time from \(reference.source), implantation from \(implant.source)",
                           implantTime: implant.iso8601, referenceTime: reference.iso8601, elapsedHours: elapsed / 3600)
    }
}
