import Foundation
import Testing

/// `voxdose suv` against CONTRACT.md and REFERENCE.md §2: uniform phantoms whose correct SUV is
/// 1.00, computed by hand from A_inj, the weight and the decay between injection and scan.
@Suite struct SuvCLITests {
    static let halfLife = 6586.2
    static let injected = 370e6
    static let weightG = 70_000.0
    /// The concentration a 70 kg patient given 370 MBq of 18F shows at SUV 1 when imaged Δt after
    /// injection and decay-corrected to the scan start.
    static func concentration(elapsed: Double) -> Float { Float(injected * pow(2, -elapsed / halfLife) / weightG) }

    func run(_ w: Workspace, _ image: String, _ args: [String]) throws -> (RunResult, [Float]) {
        let out = w.path("suv.nii")
        let result = voxdose(["suv", image, "--out", out] + args)
        guard result.status == 0 else { return (result, []) }
        return (result, try readNIfTI(out).values.map(Float.init))
    }

    func expectSUV(_ values: [Float], _ expected: Float = 1, sourceLocation: SourceLocation = #_sourceLocation) {
        #expect(!values.isEmpty, sourceLocation: sourceLocation)
        #expect(values.allSatisfy { abs($0 - expected) < 1e-4 }, "\(values.first ?? .nan)", sourceLocation: sourceLocation)
    }

    @Test func startDecayCorrectedPhantomWithFlags() throws {
        let w = try Workspace()
        let pet = try w.uniform(Self.concentration(elapsed: 7200))
        let (r, suv) = try run(w, pet, ["--injected-activity", "370MBq", "--weight", "70kg", "--nuclide", "F18",
                                        "--injection-time", "2026-03-02T09:41:00", "--reference-time", "2026-03-02T11:41:00",
                                        "--decay-corrected", "start"])
        #expect(r.status == 0, "\(r.stderr)")
        expectSUV(suv)
        #expect(r.json["schema"] as? String == "voxdose.suv/1")
        #expect(close(r.json["delta_t_s"], 7200.0) && close(r.json["half_life_s"], 6586.2))
        #expect(close(r.json["activity_decay_factor"], pow(2, -7200 / 6586.2)))
        #expect(r.json["suv_unit"] as? String == "g/mL" && r.json["normalization"] as? String == "bw")
    }

    @Test func adminDecayCorrectedPhantom() throws {
        let w = try Workspace()
        let pet = try w.uniform(Self.concentration(elapsed: 0))
        let (r, suv) = try run(w, pet, ["--injected-activity", "370MBq", "--weight", "70kg", "--nuclide", "F18", "--decay-corrected", "admin"])
        #expect(r.status == 0, "\(r.stderr)")
        expectSUV(suv)
        #expect(close(r.json["delta_t_s"], 0.0) && close(r.json["activity_decay_factor"], 1.0))
    }

    /// The sidecar says ADMIN while its times put the scan 2 h after injection: the image is
    /// already at administration, so SUV is 1.00 — not 2.13, which applying the decay again gives.
    @Test func adminIsNotDecayedTwice() throws {
        let w = try Workspace()
        let pet = try w.uniform(Self.concentration(elapsed: 0))
        var sidecar = try loadJSON("Fixtures/sidecars/dcm2niix_fmiso.json")
        sidecar["DecayCorrection"] = "ADMIN"
        let (r, suv) = try run(w, pet, ["--sidecar", try w.json("pet.json", sidecar)])
        #expect(r.status == 0, "\(r.stderr)")
        expectSUV(suv)
    }

    /// --reference-time lifts a sidecar's ADMIN (as for `dose`): the values refer to that time.
    @Test func referenceTimeLiftsSidecarAdmin() throws {
        let w = try Workspace()
        let pet = try w.uniform(Self.concentration(elapsed: 7200))
        var sidecar = try loadJSON("Fixtures/sidecars/dcm2niix_fmiso.json")
        sidecar["DecayCorrection"] = "ADMIN"
        let (r, suv) = try run(w, pet, ["--sidecar", try w.json("pet.json", sidecar), "--reference-time", "2026-03-02T11:41:00"])
        #expect(r.status == 0, "\(r.stderr)")
        expectSUV(suv)
        #expect(close(r.json["delta_t_s"], 7200.0))
    }

    @Test(arguments: ["dcm2niix_fmiso.json", "bids_fmiso.json"])
    func bothSidecarSpellings(name: String) throws {
        let w = try Workspace()
        let pet = try w.uniform(Self.concentration(elapsed: 7200))
        let (r, suv) = try run(w, pet, ["--sidecar", "Fixtures/sidecars/" + name])
        #expect(r.status == 0, "\(r.stderr)")
        expectSUV(suv)
        #expect(close(r.json["delta_t_s"], 7200.0))
    }

    /// A scan after midnight: a clock-time injection on the acquisition date would be after the
    /// scan, so it is refused; the full date-time on the command line makes it work.
    @Test func scanOnTheNextDay() throws {
        let w = try Workspace()
        let pet = try w.uniform(Self.concentration(elapsed: 7200))
        var sidecar = try loadJSON("Fixtures/sidecars/dcm2niix_fmiso.json")
        sidecar["RadiopharmaceuticalStartTime"] = "23:30:00.000000"
        sidecar["AcquisitionDateTime"] = "2026-03-03T01:30:00.000000"
        let path = try w.json("pet.json", sidecar)
        let (refused, _) = try run(w, pet, ["--sidecar", path])
        #expect(refused.status == 1 && refused.stderr.contains("before the injection"), "\(refused.stderr)")
        let (r, suv) = try run(w, pet, ["--sidecar", path, "--injection-time", "2026-03-02T23:30:00"])
        #expect(r.status == 0, "\(r.stderr)")
        expectSUV(suv)
    }

    @Test func missingAndConflictingMetadataAreNamed() throws {
        let w = try Workspace()
        let pet = try w.uniform(Self.concentration(elapsed: 7200))
        let base = try loadJSON("Fixtures/sidecars/dcm2niix_fmiso.json")
        func refused(_ edit: ([String: Any]) -> [String: Any], _ words: [String], extra: [String] = []) throws {
            let (r, _) = try run(w, pet, ["--sidecar", try w.json("s.json", edit(base))] + extra)
            #expect(r.status == 1, "\(words): \(r.stderr)")
            #expect(r.stderr.hasPrefix("error: ") && r.stderr.split(separator: "\n").count == 1)
            for word in words { #expect(r.stderr.contains(word), "\(word) in \(r.stderr)") }
        }
        try refused({ var s = $0; s["PatientWeight"] = nil; return s }, ["PatientWeight", "--weight"])
        try refused({ var s = $0; s["RadionuclideTotalDose"] = nil; return s }, ["InjectedRadioactivity", "--injected-activity"])
        try refused({ var s = $0; s["InjectedRadioactivity"] = 350; s["InjectedRadioactivityUnits"] = "MBq"; return s },
                    ["InjectedRadioactivity", "RadionuclideTotalDose", "--injected-activity"])
        try refused({ var s = $0; s["InjectedRadioactivity"] = 370e6; s["InjectedRadioactivityUnits"] = "MBq"; return s },
                    ["InjectedRadioactivity", "--injected-activity"])
        try refused({ var s = $0; s["Units"] = "CNTS"; return s }, ["Units"])
        try refused({ var s = $0; s["DecayCorrection"] = "NONE"; return s }, ["--reference-time"])
        try refused({ var s = $0; s["RadiopharmaceuticalStartTime"] = nil; return s }, ["--injection-time"])
        try refused({ var s = $0; s["PatientSize"] = nil; return s }, ["PatientSize", "--height"], extra: ["--normalization", "bsa"])
        // Within 1 %: InjectedRadioactivity is used.
        var close1 = base
        close1["InjectedRadioactivity"] = 372
        close1["InjectedRadioactivityUnits"] = "MBq"
        let (r, suv) = try run(w, pet, ["--sidecar", try w.json("c.json", close1)])
        #expect(r.status == 0, "\(r.stderr)")
        expectSUV(suv, Float(370.0 / 372.0))
    }

    @Test func leanBodyMassAndSurfaceArea() throws {
        let w = try Workspace()
        let pet = try w.uniform(Self.concentration(elapsed: 7200))
        let (r, suv) = try run(w, pet, ["--sidecar", "Fixtures/sidecars/dcm2niix_fmiso.json", "--normalization", "lbm-james"])
        #expect(r.status == 0, "\(r.stderr)")
        expectSUV(suv, Float(56.52 / 70))  // SUL = SUV · LBM/W, male 70 kg 175 cm
        #expect(close(r.json["lbm_kg"], 56.52, rel: 1e-4))
        let (b, bsa) = try run(w, pet, ["--sidecar", "Fixtures/sidecars/dcm2niix_fmiso.json", "--normalization", "bsa"])
        #expect(b.status == 0 && b.json["suv_unit"] as? String == "cm2/mL")
        expectSUV(bsa, Float(18480.0 / 70000.0))
        #expect(close(b.json["bsa_m2"], 1.848, rel: 1e-3))
        // BIDS has no height: BSA names the flag.
        let (h, _) = try run(w, pet, ["--sidecar", "Fixtures/sidecars/bids_fmiso.json", "--normalization", "bsa"])
        #expect(h.status == 1 && h.stderr.contains("--height"))
        let (f, _) = try run(w, pet, ["--sidecar", "Fixtures/sidecars/bids_fmiso.json", "--normalization", "bsa", "--height", "175cm"])
        #expect(f.status == 0, "\(f.stderr)")
    }
}
