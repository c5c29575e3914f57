import Foundation
import Testing

// Black-box tests of `voxdose suv` against /work/shared/CONTRACT.md ("Conventions for every
// command", "voxdose suv PET --out SUV", "Sidecar keys read") and REFERENCE.md §2. They add to
// SuvCLITests: time zones, clock times and dates, the QIBA scan-time rule, DICOM date/time forms,
// units on every quantity option, each listed nuclide, voxel units, usage errors, frames, output
// aliasing and the summary file. Every expectation is computed here from the contract's formulas.

// MARK: - Physics the contract fixes (REFERENCE §2)

private let f18HalfLife = 6586.2
private let injectedBq = 370e6
private let weightKg = 70.0

/// Bq/mL that reads SUVbw 1 for 370 MBq, 70 kg, 18F, Δt seconds between injection and the image's
/// reference time.
private func suvOneConcentration(_ elapsed: Double, halfLife: Double = f18HalfLife) -> Double {
    injectedBq * pow(2, -elapsed / halfLife) / (weightKg * 1000)
}

private func jamesLBM(male: Bool, kg w: Double, cm h: Double) -> Double {
    male ? 1.10 * w - 128 * pow(w / h, 2) : 1.07 * w - 148 * pow(w / h, 2)
}
private func janmahasatianLBM(male: Bool, kg w: Double, cm h: Double) -> Double {
    let bmi = w / pow(h / 100, 2)
    return male ? 9270 * w / (6680 + 216 * bmi) : 9270 * w / (8780 + 244 * bmi)
}
private func duBoisBSA(kg w: Double, cm h: Double) -> Double { 0.007184 * pow(h, 0.725) * pow(w, 0.425) }

// MARK: - Helpers

private func num(_ doc: [String: Any], _ key: String) -> Double? { (doc[key] as? NSNumber)?.doubleValue }

private struct SuvRun {
    var run: RunResult
    var values: [Double]
    var doc: [String: Any] { run.json }
    var status: Int32 { run.status }
}

/// `voxdose suv PET --out OUT args…`, reading the output back on success.
private func suv(_ w: Workspace, _ pet: String, _ args: [String], out: String? = nil) throws -> SuvRun {
    let target = out ?? w.path("suv.nii")
    let r = voxdose(["suv", pet, "--out", target] + args)
    guard r.status == 0 else { return SuvRun(run: r, values: []) }
    return SuvRun(run: r, values: try readNIfTI(target).values)
}

private func expectAll(_ values: [Double], _ expected: Double, tol: Double = 1e-4, _ what: String = "",
                       sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(!values.isEmpty, "no output \(what)", sourceLocation: sourceLocation)
    #expect(values.allSatisfy { abs($0 - expected) <= tol * max(1, abs(expected)) },
            "\(what): got \(values.first ?? .nan), expected \(expected)", sourceLocation: sourceLocation)
}

private func expectRefused(_ r: SuvRun, status: Int32 = 1, naming words: [String] = [], _ what: String = "",
                           sourceLocation: SourceLocation = #_sourceLocation) {
    #expect(r.status == status, "\(what): exit \(r.status), stderr: \(r.run.stderr)", sourceLocation: sourceLocation)
    #expect(r.run.stderr.hasPrefix("error: "), "\(what): stderr \(r.run.stderr)", sourceLocation: sourceLocation)
    for word in words {
        #expect(r.run.stderr.contains(word), "\(what): '\(word)' not in stderr: \(r.run.stderr)", sourceLocation: sourceLocation)
    }
}

private func dcm2niix() throws -> [String: Any] { try loadJSON("Fixtures/sidecars/dcm2niix_fmiso.json") }
private func bids() throws -> [String: Any] { try loadJSON("Fixtures/sidecars/bids_fmiso.json") }

/// Flags that fix everything except the times and decay basis.
private let patientFlags = ["--injected-activity", "370MBq", "--weight", "70kg", "--nuclide", "F18"]

@Suite struct SuvContractTests {

    // MARK: Time zones

    /// "A time without a UTC offset is read in the zone of the run's other times that have one."
    @Test(arguments: [
        ("2026-03-02T09:41:00+02:00", "2026-03-02T11:41:00"),        // injection has the offset
        ("2026-03-02T09:41:00", "2026-03-02T11:41:00+02:00"),        // reference has it
        ("2026-03-02T09:41:00-05:00", "2026-03-02T11:41:00"),
        ("2026-03-02T09:41:00Z", "2026-03-02T11:41:00"),
        ("2026-03-02T09:41:00+01:00", "2026-03-02T12:41:00+02:00"),  // both, different zones
    ])
    func timeWithoutOffsetTakesTheOtherTimesZone(injection: String, reference: String) throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        let r = try suv(w, pet, patientFlags + ["--injection-time", injection, "--reference-time", reference,
                                                 "--decay-corrected", "start"])
        #expect(r.status == 0, "\(r.run.stderr)")
        #expect(close(num(r.doc, "delta_t_s"), 7200.0), "\(injection) → \(reference): \(r.doc["delta_t_s"] ?? "nil")")
        expectAll(r.values, 1, "\(injection) → \(reference)")
    }

    /// The sidecar's DICOM DT carries `&ZZXX`; the injection flag has no offset → read in +02:00.
    @Test func dicomDateTimeOffsetGivesTheZoneToAFlag() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try dcm2niix()
        s["AcquisitionDateTime"] = "20260302114100.000000+0200"
        s["AcquisitionTime"] = "114100.000000"
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s), "--injection-time", "2026-03-02T09:41:00"])
        #expect(r.status == 0, "\(r.run.stderr)")
        #expect(close(num(r.doc, "delta_t_s"), 7200.0), "\(r.doc["delta_t_s"] ?? "nil")")
        expectAll(r.values, 1)
    }

    /// The sidecar's ISO time carries an offset; a flag with a different explicit offset is an
    /// absolute instant: 08:41+01:00 is 09:41+02:00.
    @Test func explicitOffsetsAreAbsolute() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try dcm2niix()
        s["AcquisitionDateTime"] = "2026-03-02T11:41:00+02:00"
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s), "--injection-time", "2026-03-02T08:41:00+01:00"])
        #expect(r.status == 0, "\(r.run.stderr)")
        #expect(close(num(r.doc, "delta_t_s"), 7200.0), "\(r.doc["delta_t_s"] ?? "nil")")
        expectAll(r.values, 1)
    }

    // MARK: Clock times, dates, QIBA

    /// Series started 23:50 on 2 March, the acquisition (bed) at 00:10 on 3 March; injection at
    /// 21:50 clock time takes the series date → Δt = 2 h from the series start (QIBA: the series
    /// is not later than the acquisition). The acquisition date would put the injection after the scan.
    @Test func clockInjectionTakesTheSeriesDate() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try dcm2niix()
        s["SeriesDate"] = "20260302"
        s["SeriesTime"] = "235000.000000"
        s["AcquisitionDateTime"] = "2026-03-03T00:10:00.000000"
        s["AcquisitionTime"] = "00:10:00.000000"
        s["RadiopharmaceuticalStartTime"] = "21:50:00.000000"
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        #expect(r.status == 0, "\(r.run.stderr)")
        #expect(close(num(r.doc, "delta_t_s"), 7200.0), "\(r.doc["delta_t_s"] ?? "nil")")
        expectAll(r.values, 1)
    }

    /// No SeriesDate (dcm2niix writes none): the clock time takes the acquisition date, whatever it is.
    @Test func clockInjectionTakesTheAcquisitionDateWithoutSeriesDate() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(5400)))
        var s = try dcm2niix()
        s["AcquisitionDateTime"] = "2025-12-31T10:30:00.000000"
        s["AcquisitionTime"] = "10:30:00.000000"
        s["RadiopharmaceuticalStartTime"] = "09:00:00.000000"
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        #expect(r.status == 0, "\(r.run.stderr)")
        #expect(close(num(r.doc, "delta_t_s"), 5400.0), "\(r.doc["delta_t_s"] ?? "nil")")
        expectAll(r.values, 1)
    }

    /// QIBA: SeriesDate/Time is the scan time unless it is later than the earliest acquisition.
    @Test(arguments: [
        // (SeriesTime, AcquisitionDateTime, expected Δt): series earlier → series; later → acquisition.
        ("114100", "2026-03-02T11:51:00", 7200.0),
        ("115100", "2026-03-02T11:41:00", 7200.0),
        ("113100", "2026-03-02T11:41:00", 6600.0),
    ])
    func qibaSeriesVersusAcquisition(seriesTime: String, acquisition: String, expected: Double) throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(expected)))
        var s = try dcm2niix()
        s["SeriesDate"] = "20260302"
        s["SeriesTime"] = seriesTime
        s["AcquisitionDateTime"] = acquisition
        s["AcquisitionTime"] = String(acquisition.suffix(8))
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        #expect(r.status == 0, "\(r.run.stderr)")
        #expect(close(num(r.doc, "delta_t_s"), expected), "series \(seriesTime), acq \(acquisition): \(r.doc["delta_t_s"] ?? "nil")")
        expectAll(r.values, 1, "series \(seriesTime), acq \(acquisition)")
    }

    /// DICOM forms: DA YYYYMMDD, TM HHMMSS(.FFFFFF) and HHMM, DT YYYYMMDDHHMMSS.
    @Test(arguments: [
        ["AcquisitionDateTime": "20260302114100.000000", "RadiopharmaceuticalStartTime": "094100.000000"],
        ["AcquisitionDateTime": "20260302114100", "RadiopharmaceuticalStartTime": "0941"],
        ["AcquisitionDateTime": "2026-03-02T11:41:00", "RadiopharmaceuticalStartDateTime": "20260302094100.000000"],
        ["AcquisitionDateTime": "20260302114100", "RadiopharmaceuticalStartDateTime": "2026-03-02T09:41:00"],
    ])
    func dicomDateAndTimeForms(edit: [String: String]) throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try dcm2niix()
        s["RadiopharmaceuticalStartTime"] = nil
        s["AcquisitionTime"] = "114100.000000"
        for (k, v) in edit { s[k] = v }
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        #expect(r.status == 0, "\(edit): \(r.run.stderr)")
        #expect(close(num(r.doc, "delta_t_s"), 7200.0), "\(edit): \(r.doc["delta_t_s"] ?? "nil")")
        expectAll(r.values, 1, "\(edit)")
    }

    /// A full-date injection the day before the scan: 23:41 → 01:41 next day = 2 h.
    @Test func fullInjectionDateTimeAcrossMidnightInSidecar() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try dcm2niix()
        s["RadiopharmaceuticalStartTime"] = nil
        s["RadiopharmaceuticalStartDateTime"] = "20260301234100.000000"
        s["AcquisitionDateTime"] = "2026-03-02T01:41:00.000000"
        s["AcquisitionTime"] = "01:41:00.000000"
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        #expect(r.status == 0, "\(r.run.stderr)")
        #expect(close(num(r.doc, "delta_t_s"), 7200.0), "\(r.doc["delta_t_s"] ?? "nil")")
        expectAll(r.values, 1)
    }

    // MARK: BIDS timing

    /// BIDS times are seconds from TimeZero; TimeZero at scan start with a negative InjectionStart.
    @Test func bidsTimeZeroAtScanStart() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try bids()
        s["TimeZero"] = "11:41:00"
        s["InjectionStart"] = -7200
        s["ScanStart"] = 0
        s["ImageDecayCorrectionTime"] = 0
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        #expect(r.status == 0, "\(r.run.stderr)")
        #expect(close(num(r.doc, "delta_t_s"), 7200.0), "\(r.doc["delta_t_s"] ?? "nil")")
        expectAll(r.values, 1)
    }

    /// `ImageDecayCorrected` false is refused without `--reference-time`, accepted with it.
    @Test func bidsNotDecayCorrectedNeedsReferenceTime() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try bids()
        s["ImageDecayCorrected"] = false
        let path = try w.json("s.json", s)
        let refused = try suv(w, pet, ["--sidecar", path])
        expectRefused(refused, naming: ["--reference-time"], "ImageDecayCorrected false")
        #expect(!FileManager.default.fileExists(atPath: w.path("suv.nii")))
        #expect(w.listing == ["pet.nii", "s.json"], "\(w.listing)")
        let ok = try suv(w, pet, ["--sidecar", path, "--injection-time", "2026-03-02T09:41:00",
                                  "--reference-time", "2026-03-02T11:41:00"])
        #expect(ok.status == 0, "\(ok.run.stderr)")
        expectAll(ok.values, 1)
    }

    /// DecayCorrection NONE: refused without `--reference-time`; with it, the values refer to that
    /// time (here 2 h 10 min after injection: a mid-frame time).
    @Test func noneDecayCorrectionWithReferenceTime() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7800)))
        var s = try dcm2niix()
        s["DecayCorrection"] = "NONE"
        let path = try w.json("s.json", s)
        expectRefused(try suv(w, pet, ["--sidecar", path]), naming: ["--reference-time"], "NONE")
        let r = try suv(w, pet, ["--sidecar", path, "--reference-time", "2026-03-02T11:51:00"])
        #expect(r.status == 0, "\(r.run.stderr)")
        #expect(close(num(r.doc, "delta_t_s"), 7800.0), "\(r.doc["delta_t_s"] ?? "nil")")
        expectAll(r.values, 1)
    }

    // MARK: Decay basis

    /// ADMIN in the sidecar: `delta_t_s` 0 and `activity_decay_factor` 1 although the times say 2 h.
    @Test func adminSummaryFromSidecar() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(0)))
        var s = try dcm2niix()
        s["DecayCorrection"] = "ADMIN"
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        #expect(r.status == 0, "\(r.run.stderr)")
        #expect(close(num(r.doc, "delta_t_s"), 0.0), "\(r.doc["delta_t_s"] ?? "nil")")
        #expect(close(num(r.doc, "activity_decay_factor"), 1.0), "\(r.doc["activity_decay_factor"] ?? "nil")")
        #expect(close(num(r.doc, "suv_factor"), weightKg * 1000 / injectedBq))
        expectAll(r.values, 1)
    }

    /// `--decay-corrected admin` overrides the sidecar's START.
    @Test func decayCorrectedFlagOverridesSidecar() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(0)))
        let r = try suv(w, pet, ["--sidecar", "Fixtures/sidecars/dcm2niix_fmiso.json", "--decay-corrected", "admin"])
        #expect(r.status == 0, "\(r.run.stderr)")
        #expect(close(num(r.doc, "delta_t_s"), 0.0))
        expectAll(r.values, 1)
    }

    /// `DecayFactor` as a list is informative only.
    @Test func decayFactorListIsNotApplied() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try dcm2niix()
        s["DecayFactor"] = [1.0291, 1.0400]
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        #expect(r.status == 0, "\(r.run.stderr)")
        expectAll(r.values, 1)
    }

    /// A reference time before the injection is an error; nothing is written.
    @Test func referenceBeforeInjectionIsRefused() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        let r = try suv(w, pet, patientFlags + ["--injection-time", "2026-03-02T11:41:00",
                                                 "--reference-time", "2026-03-02T09:41:00", "--decay-corrected", "start"])
        expectRefused(r, "reference before injection")
        #expect(w.listing == ["pet.nii"], "\(w.listing)")
    }

    // MARK: Activity keys

    @Test(arguments: [
        (370.0, "MBq"), (10.0, "mCi"), (370000.0, "kBq"), (0.37, "GBq"), (370e6, "Bq"),
    ])
    func olderSpellingInjectedRadioactivityUnit(value: Double, unit: String) throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try dcm2niix()
        s["RadionuclideTotalDose"] = nil
        s["InjectedRadioactivity"] = value
        s["InjectedRadioactivityUnit"] = unit
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        #expect(r.status == 0, "\(value) \(unit): \(r.run.stderr)")
        expectAll(r.values, 1, "\(value) \(unit)")
    }

    /// The agreement is checked after units: 10 mCi = 370 MBq = RadionuclideTotalDose.
    @Test func activityKeysAgreeAfterUnits() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try dcm2niix()
        s["InjectedRadioactivity"] = 10
        s["InjectedRadioactivityUnits"] = "mCi"
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        #expect(r.status == 0, "\(r.run.stderr)")
        expectAll(r.values, 1)
        // 10 mCi against 400 MBq: 8 % apart → refused naming both keys and the flag.
        s["RadionuclideTotalDose"] = 400e6
        let refused = try suv(w, pet, ["--sidecar", try w.json("t.json", s)])
        expectRefused(refused, naming: ["InjectedRadioactivity", "RadionuclideTotalDose", "--injected-activity"])
        // The flag overrides both (and so settles the conflict).
        let flag = try suv(w, pet, ["--sidecar", try w.json("t.json", s), "--injected-activity", "370MBq"])
        #expect(flag.status == 0, "\(flag.run.stderr)")
        expectAll(flag.values, 1)
    }

    /// Within 1 % InjectedRadioactivity is used, also when it is the smaller one.
    @Test func withinOnePercentUsesInjectedRadioactivity() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try dcm2niix()
        s["InjectedRadioactivity"] = 367
        s["InjectedRadioactivityUnits"] = "MBq"
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        #expect(r.status == 0, "\(r.run.stderr)")
        expectAll(r.values, 370.0 / 367.0)
    }

    // MARK: Units on quantity options

    static let unitCases: [([String], Double)] = [
        (["--injected-activity", "10mCi"], 1.0),
        (["--injected-activity", "0.37GBq"], 1.0),
        (["--injected-activity", "0.37 GBq"], 1.0),
        (["--injected-activity", "370000kBq"], 1.0),
        (["--weight", "154lb"], 154 * 0.45359237 / 70),
        (["--weight", "70000g"], 1.0),
        (["--half-life", "6586.2s"], 1.0),
        (["--half-life", "6586.2"], 1.0),                            // bare: seconds
        (["--half-life", "109.77min"], 1.0),
    ]
    @Test(arguments: unitCases)
    func quantityOptionsAcceptUnits(option: [String], expected: Double) throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var base = ["--injected-activity": "370MBq", "--weight": "70kg", "--half-life": "6586.2s"]
        base[option[0]] = option[1]
        let args = base.sorted { $0.key < $1.key }.flatMap { [$0.key, $0.value] }
        let r = try suv(w, pet, args + ["--injection-time", "2026-03-02T09:41:00",
                                        "--reference-time", "2026-03-02T11:41:00", "--decay-corrected", "start"])
        #expect(r.status == 0, "\(option): \(r.run.stderr)")
        expectAll(r.values, expected, "\(option)")
        #expect(close(num(r.doc, "half_life_s"), 6586.2, rel: 1e-4), "\(option): \(r.doc["half_life_s"] ?? "nil")")
    }

    /// Height with units: `175cm`, `1.75m`, bare 175 (cm) all give the DuBois BSA of 175 cm.
    @Test(arguments: ["175cm", "1.75m", "175"])
    func heightAcceptsUnits(height: String) throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try bids()
        s["BodyWeight"] = 70
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s), "--normalization", "bsa", "--height", height])
        #expect(r.status == 0, "\(height): \(r.run.stderr)")
        let bsa = duBoisBSA(kg: 70, cm: 175)
        expectAll(r.values, bsa * 1e4 / 70_000, "\(height)")
        #expect(r.doc["suv_unit"] as? String == "cm2/mL")
        #expect(r.doc["normalization"] as? String == "bsa")
    }

    // MARK: Nuclides

    static let nuclides: [(String, Double)] = [
        ("F18", 6586.2), ("Ga68", 4062.6), ("C11", 1221.8), ("Zr89", 78.41 * 3600),
        ("Tc99m", 6.0067 * 3600), ("Lu177", 6.647 * 86400), ("Y90", 64.05 * 3600),
    ]
    @Test(arguments: nuclides)
    func nuclideHalfLives(nuclide: String, halfLife: Double) throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200, halfLife: halfLife)))
        let r = try suv(w, pet, ["--sidecar", "Fixtures/sidecars/dcm2niix_fmiso.json", "--nuclide", nuclide])
        #expect(r.status == 0, "\(nuclide): \(r.run.stderr)")
        #expect(close(num(r.doc, "half_life_s"), halfLife, rel: 1e-4), "\(nuclide): \(r.doc["half_life_s"] ?? "nil")")
        #expect(close(num(r.doc, "activity_decay_factor"), pow(2, -7200 / halfLife), rel: 1e-4))
        expectAll(r.values, 1, nuclide)
    }

    /// `RadionuclideHalfLife` is read from the sidecar (here a 68Ga study).
    @Test func halfLifeFromSidecar() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200, halfLife: 4062.6)))
        var s = try dcm2niix()
        s["RadionuclideHalfLife"] = 4062.6
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        #expect(r.status == 0, "\(r.run.stderr)")
        #expect(close(num(r.doc, "half_life_s"), 4062.6))
        expectAll(r.values, 1)
    }

    /// A sidecar with neither half-life nor radionuclide: the error names the key and the flag.
    @Test func missingHalfLifeIsNamed() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try dcm2niix()
        s["RadionuclideHalfLife"] = nil
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        expectRefused(r, "no half-life")
        #expect(r.run.stderr.contains("RadionuclideHalfLife") || r.run.stderr.contains("TracerRadionuclide"), "\(r.run.stderr)")
        #expect(r.run.stderr.contains("--half-life") || r.run.stderr.contains("--nuclide"), "\(r.run.stderr)")
    }

    // MARK: Missing keys name key and flag

    @Test func missingSexForLeanBodyMassIsNamed() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try dcm2niix()
        s["PatientSex"] = nil
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s), "--normalization", "lbm-janmahasatian"])
        expectRefused(r, naming: ["PatientSex", "--sex"])
    }

    @Test func missingBodyWeightInBidsIsNamed() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try bids()
        s["BodyWeight"] = nil
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        expectRefused(r, naming: ["--weight"])
        #expect(r.run.stderr.contains("BodyWeight") || r.run.stderr.contains("PatientWeight"), "\(r.run.stderr)")
    }

    @Test func missingInjectionTimeNamesKeyAndFlag() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try dcm2niix()
        s["RadiopharmaceuticalStartTime"] = nil
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        expectRefused(r, naming: ["--injection-time"])
        #expect(r.run.stderr.contains("RadiopharmaceuticalStart"), "\(r.run.stderr)")
    }

    @Test func missingScanTimeNamesKeyAndFlag() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try dcm2niix()
        s["AcquisitionDateTime"] = nil
        s["AcquisitionTime"] = nil
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s), "--injection-time", "2026-03-02T09:41:00"])
        expectRefused(r, naming: ["--reference-time"])
        #expect(r.run.stderr.contains("Acquisition") || r.run.stderr.contains("Series"), "\(r.run.stderr)")
    }

    // MARK: Lean body mass, by sex and formula

    @Test(arguments: [("lbm-james", "M"), ("lbm-james", "F"), ("lbm-janmahasatian", "M"), ("lbm-janmahasatian", "F")])
    func leanBodyMassFormulas(normalization: String, sex: String) throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try dcm2niix()
        s["PatientSex"] = sex
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s), "--normalization", normalization])
        #expect(r.status == 0, "\(r.run.stderr)")
        let male = sex == "M"
        let lbm = normalization == "lbm-james" ? jamesLBM(male: male, kg: 70, cm: 175) : janmahasatianLBM(male: male, kg: 70, cm: 175)
        expectAll(r.values, lbm / 70, "\(normalization) \(sex)")
        #expect(r.doc["suv_unit"] as? String == "g/mL")
        #expect(r.doc["normalization"] as? String == normalization)
        #expect(close(num(r.doc, "suv_factor"), lbm * 1000 / (injectedBq * pow(2, -7200 / f18HalfLife)), rel: 1e-4))
    }

    /// `--sex female` overrides PatientSex M.
    @Test func sexFlagOverridesSidecar() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        let r = try suv(w, pet, ["--sidecar", "Fixtures/sidecars/dcm2niix_fmiso.json",
                                 "--normalization", "lbm-janmahasatian", "--sex", "female"])
        #expect(r.status == 0, "\(r.run.stderr)")
        expectAll(r.values, janmahasatianLBM(male: false, kg: 70, cm: 175) / 70)
    }

    // MARK: Voxel units

    @Test(arguments: [("kBq/mL", 1e-3), ("MBq/mL", 1e-6), ("BQML", 1.0), ("Bq/mL", 1.0)])
    func sidecarUnitsScaleTheImage(units: String, scale: Double) throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200) * scale))
        var s = try dcm2niix()
        s["Units"] = units
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        #expect(r.status == 0, "\(units): \(r.run.stderr)")
        expectAll(r.values, 1, units)
    }

    /// `suv_factor` is "SUV per Bq/mL" whatever the voxel unit.
    @Test func suvFactorIsPerBqPerML() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200) / 1000))
        var s = try dcm2niix()
        s["Units"] = "kBq/mL"
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s)])
        #expect(r.status == 0, "\(r.run.stderr)")
        #expect(close(num(r.doc, "suv_factor"), 1 / suvOneConcentration(7200), rel: 1e-5),
                "suv_factor \(r.doc["suv_factor"] ?? "nil"), expected \(1 / suvOneConcentration(7200)) per Bq/mL")
    }

    @Test(arguments: [("Bq/mL", 1.0), ("kBq/mL", 1e-3), ("MBq/mL", 1e-6)])
    func unitsFlagOverridesSidecar(units: String, scale: Double) throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200) * scale))
        var s = try dcm2niix()
        s["Units"] = units == "kBq/mL" ? "BQML" : "kBq/mL"
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s), "--units", units])
        #expect(r.status == 0, "\(units): \(r.run.stderr)")
        expectAll(r.values, 1, units)
    }

    /// `--units` overrides a sidecar `Units` that would be refused (counts).
    @Test func unitsFlagOverridesRefusedSidecarUnits() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        var s = try dcm2niix()
        s["Units"] = "CNTS"
        let r = try suv(w, pet, ["--sidecar", try w.json("s.json", s), "--units", "Bq/mL"])
        #expect(r.status == 0, "\(r.run.stderr)")
        expectAll(r.values, 1)
    }

    // MARK: Usage errors (exit 64)

    static let usageCases: [[String]] = [
        ["--normalization", "suvbw"], ["--normalization", "lbm"], ["--sex", "x"], ["--sex", "unknown"],
        ["--injected-activity", "370furlongs"], ["--injected-activity", "abc"], ["--weight", "70parsecs"],
        ["--injection-time", "yesterday"], ["--injection-time", "2026-13-45T99:00:00"],
        ["--decay-corrected", "sometimes"], ["--units", "counts"], ["--nuclide", "Xx99"],
        ["--half-life", "fast"], ["--bogus-option", "1"], ["--weight", "-70kg"], ["--injected-activity", "-5MBq"],
    ]
    @Test(arguments: usageCases)
    func usageErrors(option: [String]) throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        let r = try suv(w, pet, ["--sidecar", "Fixtures/sidecars/dcm2niix_fmiso.json"] + option)
        #expect(r.status == 64, "\(option): exit \(r.status), stderr \(r.run.stderr)")
        #expect(r.run.stderr.lowercased().contains("usage"), "\(option): no usage line in \(r.run.stderr)")
        #expect(r.run.stdout.isEmpty)
        #expect(w.listing == ["pet.nii"], "\(option): \(w.listing)")
    }

    // MARK: Frames

    @Test func fourDimensionalInputNeedsFrame() throws {
        let w = Workspace()
        let c = Float(suvOneConcentration(7200))
        let grid = Grid(dims: [4, 4, 4, 3])
        let n = 64
        let values = (0..<3).flatMap { f in [Float](repeating: c * Float(f + 1), count: n) }
        let pet = try w.volume("pet4d.nii", grid, values)
        let sidecar = ["--sidecar", "Fixtures/sidecars/dcm2niix_fmiso.json"]
        expectRefused(try suv(w, pet, sidecar), "4-D without --frame")
        expectRefused(try suv(w, pet, sidecar + ["--frame", "3"]), "frame 3 of 3")
        #expect(w.listing == ["pet4d.nii"], "\(w.listing)")
        let r = try suv(w, pet, sidecar + ["--frame", "1"])
        #expect(r.status == 0, "\(r.run.stderr)")
        expectAll(r.values, 2)
        #expect(try readNIfTI(w.path("suv.nii")).dims.count == 3, "output volumes are 3-D")
    }

    @Test func singleFrame4DAnd3DFrameZero() throws {
        let w = Workspace()
        let c = Float(suvOneConcentration(7200))
        let pet4 = try w.volume("one.nii", Grid(dims: [4, 4, 4, 1]), [Float](repeating: c, count: 64))
        let sidecar = ["--sidecar", "Fixtures/sidecars/dcm2niix_fmiso.json"]
        let a = try suv(w, pet4, sidecar)
        #expect(a.status == 0, "\(a.run.stderr)")
        expectAll(a.values, 1)
        let pet3 = try w.uniform(c)
        let b = try suv(w, pet3, sidecar + ["--frame", "0"])
        #expect(b.status == 0, "\(b.run.stderr)")
        expectAll(b.values, 1)
    }

    // MARK: Outputs

    @Test func outputSameAsInputIsRefused() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        let before = try Data(contentsOf: URL(fileURLWithPath: pet))
        try FileManager.default.createDirectory(atPath: w.path("sub"), withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(atPath: w.path("link.nii"), withDestinationPath: pet)
        try FileManager.default.linkItem(atPath: pet, toPath: w.path("hard.nii"))
        let sidecar = ["--sidecar", "Fixtures/sidecars/dcm2niix_fmiso.json"]
        for out in [pet, w.path("sub/../pet.nii"), w.path("./pet.nii"), w.path("link.nii"), w.path("hard.nii")] {
            let r = try suv(w, pet, sidecar, out: out)
            expectRefused(r, out)
            #expect(try Data(contentsOf: URL(fileURLWithPath: pet)) == before, "input changed by --out \(out)")
        }
        #expect(w.listing == ["hard.nii", "link.nii", "pet.nii", "sub"], "\(w.listing)")
        // The sidecar as an output, and the summary on the image output, are refused too.
        let s = try w.json("s.json", try dcm2niix())
        let sBefore = try Data(contentsOf: URL(fileURLWithPath: s))
        expectRefused(try suv(w, pet, ["--sidecar", s, "--summary", s]), "summary = sidecar")
        #expect(try Data(contentsOf: URL(fileURLWithPath: s)) == sBefore)
        expectRefused(try suv(w, pet, sidecar + ["--summary", w.path("suv.nii")]), "summary = out")
        expectRefused(try suv(w, pet, sidecar + ["--summary", pet]), "summary = input")
        #expect(try Data(contentsOf: URL(fileURLWithPath: pet)) == before)
        #expect(w.listing == ["hard.nii", "link.nii", "pet.nii", "s.json", "sub"], "\(w.listing)")
    }

    @Test func summaryFileAndStdout() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        let summary = w.path("summary.json")
        let r = try suv(w, pet, ["--sidecar", "Fixtures/sidecars/dcm2niix_fmiso.json", "--summary", summary])
        #expect(r.status == 0, "\(r.run.stderr)")
        #expect(r.run.stdout.isEmpty, "stdout: \(r.run.stdout)")
        expectAll(r.values, 1)
        let data = try Data(contentsOf: URL(fileURLWithPath: summary))
        let doc = try #require(try JSONSerialization.jsonObject(with: data) as? [String: Any])
        #expect(doc["schema"] as? String == "voxdose.suv/1")
        #expect(doc["voxdose_version"] is String)
        #expect(w.listing == ["pet.nii", "summary.json", "suv.nii"], "\(w.listing)")
    }

    /// Every summary key the contract lists, with values computed from the inputs.
    @Test func summaryKeys() throws {
        let w = Workspace()
        let pet = try w.uniform(Float(suvOneConcentration(7200)))
        let r = try suv(w, pet, ["--sidecar", "Fixtures/sidecars/bids_fmiso.json"])
        #expect(r.status == 0, "\(r.run.stderr)")
        let doc = r.doc
        #expect(doc["schema"] as? String == "voxdose.suv/1")
        #expect(doc["voxdose_version"] is String)
        for key in ["normalization", "suv_factor", "suv_unit", "activity_decay_factor", "delta_t_s", "half_life_s", "output"] {
            #expect(doc[key] != nil, "missing \(key) in \(doc.keys.sorted())")
        }
        #expect(doc["normalization"] as? String == "bw")
        #expect(doc["suv_unit"] as? String == "g/mL")
        #expect(close(num(doc, "suv_factor"), 1 / suvOneConcentration(7200), rel: 1e-5))
        #expect(close(num(doc, "activity_decay_factor"), pow(2, -7200 / f18HalfLife)))
        #expect(close(num(doc, "delta_t_s"), 7200.0))
        #expect(close(num(doc, "half_life_s"), f18HalfLife))
        let output = try #require(doc["output"] as? String)
        #expect((output as NSString).lastPathComponent == "suv.nii", "\(output)")
        // snake_case keys only.
        for key in doc.keys { #expect(key == key.lowercased() && !key.contains("-"), "\(key)") }
        expectAll(r.values, 1)
    }

    /// The output is Float32 on the PET grid, whatever the input type (int16 here).
    @Test func outputIsFloat32OnTheInputGrid() throws {
        let w = Workspace()
        let grid = Grid(dims: [3, 4, 5], spacing: [2, 3, 4], origin: [-10, 5, 7])
        let pet = try w.volume("pet.nii", grid, [Float](repeating: 1781, count: 60), int16: true)
        let r = try suv(w, pet, ["--sidecar", "Fixtures/sidecars/dcm2niix_fmiso.json"])
        #expect(r.status == 0, "\(r.run.stderr)")
        let out = try readNIfTI(w.path("suv.nii"))
        #expect(out.dims == [3, 4, 5] && out.datatype == 16, "\(out.dims) \(out.datatype)")
        for (row, expected) in zip(out.srow, grid.srow) {
            #expect(zip(row, expected).allSatisfy { abs($0 - Double($1)) < 1e-4 }, "\(out.srow)")
        }
        expectAll(out.values, 1781 / suvOneConcentration(7200))
    }
}
