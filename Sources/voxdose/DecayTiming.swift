import Dosimetry
import Foundation
import VoxelIO

/// The decay correction of `voxdose dose`: the factor that brings the image values back to
/// implantation time t0, 2^((t_ref − t0) / T½), resolved from options and sidecar keys by the
/// rules of CONTRACT.md (`voxdose dose`, "Decay").
struct DecayTiming {
    var factor: Double
    /// How it was decided, for the summary.
    var basis: String
    var implantTime: String?
    var referenceTime: String?
    var elapsedHours: Double?

    struct Options {
        var implantTime: WrittenDateTime?
        var referenceTime: WrittenDateTime?
        var decayHours: Double?
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
            if options.decayHours != nil {
                warnings.append("--decay-hours is ignored: \(sidecarName) says the image is decay-corrected to administration (ADMIN); only --reference-time lifts that")
            }
            return DecayTiming(factor: 1, basis: "\(mode!.key) ADMIN in \(sidecarName): already decay-corrected to administration")
        }
        if let hours = options.decayHours {
            return DecayTiming(factor: Decay.correctionFactor(elapsedSeconds: hours * 3600, halfLifeSeconds: halfLifeSeconds),
                               basis: "--decay-hours", elapsedHours: hours)
        }
        if mode?.mode == PETSidecar.DecayCorrection.none && options.referenceTime == nil {
            throw CommandFailure("\(image): the image is not decay-corrected (\(mode!.key) in \(sidecarName)): "
                + "give --reference-time (the time its values refer to) or --decay-hours, or calibrate with --calibrate-activity")
        }

        // t0 and t_ref: options first, then the sidecar, one by one.
        var implant: (WrittenDateTime, String, Bool)?
        if let t = options.implantTime { implant = (t, "--implant-time", true) }
        else if let t = try sidecar?.administrationTime() { implant = (t.value, "\(t.keys) in \(sidecarName)", t.dateKnown) }
        var reference: (WrittenDateTime, String, Bool)?
        if let t = options.referenceTime { reference = (t, "--reference-time", true) }
        else if mode?.mode == .start, let t = try sidecar?.acquisitionStartTime() {
            reference = (t.value, "\(t.keys) in \(sidecarName)", t.dateKnown)
        }

        guard let implant, let reference else {
            let missing = [implant == nil ? "the implantation time (--implant-time, or RadiopharmaceuticalStartDateTime / InjectionStart in --sidecar)" : nil,
                           reference == nil ? "the image's reference time (--reference-time, or a --sidecar with DecayCorrection START and AcquisitionDateTime, SeriesDate/SeriesTime or TimeZero/ScanStart)" : nil]
                .compactMap { $0 }.joined(separator: " and ")
            throw CommandFailure("\(image): cannot decay-correct to implantation without \(missing); "
                + "or give --decay-hours, --no-decay-correction, or --calibrate-activity")
        }
        // A sidecar clock time without a date can only be compared with another from the sidecar.
        if implant.2 != reference.2 {
            let undated = implant.2 ? reference.1 : implant.1
            throw CommandFailure("\(image): \(undated) has no date, so it cannot be compared with a full date-time; "
                + "give both --implant-time and --reference-time")
        }
        // Times without a UTC offset are read in the zone of the times that have one.
        let zone = implant.0.offsetSeconds ?? reference.0.offsetSeconds
        let elapsed = reference.0.resolved(defaultOffsetSeconds: zone) - implant.0.resolved(defaultOffsetSeconds: zone)
        guard elapsed >= 0 else {
            throw CommandFailure("\(image): the reference time \(reference.0.iso8601) (\(reference.1)) is before the implantation \(implant.0.iso8601) (\(implant.1))")
        }
        return DecayTiming(factor: Decay.correctionFactor(elapsedSeconds: elapsed, halfLifeSeconds: halfLifeSeconds),
                           basis: "reference time from \(reference.1), implantation from \(implant.1)",
                           implantTime: implant.2 ? implant.0.iso8601 : nil,
                           referenceTime: reference.2 ? reference.0.iso8601 : nil,
                           elapsedHours: elapsed / 3600)
    }
}
