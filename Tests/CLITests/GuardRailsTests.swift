import Foundation
import Testing

// Issue 12 / CONTRACT.md Part 2 "Guard rails for every command": each mistake a physicist makes
// most often, replayed, gives its coded warning (or error); each bound is tried just inside and
// just outside; `--strict` refusals write nothing.

/// The codes of a run's `warnings` (the text before the first `: `).
private func codes(_ run: RunResult) -> [String] {
    (run.json["warnings"] as? [String] ?? []).map { String($0.prefix { $0 != ":" }) }
}

/// A cube of `n`³ voxels of `spacing` mm holding `value` everywhere.
private func cube(_ ws: Workspace, _ name: String, value: Float, n: Int = 10, spacing: Double = 4) throws -> String {
    let grid = Grid(dims: [n, n, n], spacing: [spacing, spacing, spacing])
    return try ws.volume(name, grid, [Float](repeating: value, count: grid.voxelCount))
}

@Suite struct DoseGuardRailTests {
    /// 1000 voxels of 0.064 mL: 64 mL. 8.28125e6 Bq/mL is 0.53 GBq in the field of view.
    static let bqPerML: Float = 8_281_250

    @Test func aKBqImageReadAsBqGetsActivityWarnings() throws {
        let ws = Workspace()
        let kBq = try cube(ws, "pet_kbq.nii", value: Self.bqPerML / 1000)
        let run = voxdose(["dose", kBq, "--out", ws.out, "--no-decay-correction", "--administered-activity", "1.8GBq"])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(codes(run) == ["activity_mismatch", "activity_implausible"], "\(run.json["warnings"] ?? "")")
        #expect(run.stderr.contains("warning: activity_mismatch: the image holds 0.00053 GBq"), "\(run.stderr)")
        // The same image in the right unit: no warning at all.
        let right = voxdose(["dose", kBq, "--out", ws.out, "--no-decay-correction", "--units", "kBq/mL", "--administered-activity", "0.53GBq"])
        #expect(codes(right) == [], "\(right.json["warnings"] ?? "")")
        #expect(right.stderr.isEmpty)
    }

    @Test func mbqUnitsOnABqImageGetDoseAndActivityWarnings() throws {
        let ws = Workspace()
        let pet = try cube(ws, "pet.nii", value: Self.bqPerML)
        let run = voxdose(["dose", pet, "--out", ws.out, "--no-decay-correction", "--units", "MBq/mL"])
        #expect(Set(codes(run)) == ["activity_implausible", "dose_implausible"], "\(run.json["warnings"] ?? "")")
    }

    /// activity_mismatch: [0.5, 1.5] × (A − residual), exactly at a bound is inside.
    @Test func activityMismatchExactlyAtTheBoundsIsInside() throws {
        let ws = Workspace()
        let pet = try cube(ws, "pet.nii", value: Self.bqPerML)  // 0.53 GBq
        for (administered, inside) in [("1.06GBq", true), ("1.07GBq", false), ("353.3333333333MBq", true), ("350MBq", false),
                                       ("1.16GBq --residual 0.1GBq", true), ("1.17GBq --residual 0.1GBq", false)] {
            let words = administered.split(separator: " ").map(String.init)
            let run = voxdose(["dose", pet, "--out", ws.out, "--no-decay-correction", "--administered-activity"] + words)
            #expect(codes(run).contains("activity_mismatch") == !inside, "\(administered): \(codes(run))")
        }
    }

    /// activity_implausible: [0.05, 30] GBq; 781250 Bq/mL × 64 mL is 0.05 GBq exactly (inside); 30 GBq is
    /// not a Float32 value per voxel here, so the upper bound is tried at the Float just below it.
    @Test func activityImplausibleBounds() throws {
        let ws = Workspace()
        for (value, warned) in [(Float(781_250), false), (Float(780_000), true), (Float(468_749_984), false), (Float(470_000_000), true)] {
            let pet = try cube(ws, "pet.nii", value: value)
            let run = voxdose(["dose", pet, "--out", ws.out, "--no-decay-correction", "--dose-factor", "1e-3"])
            #expect(codes(run).contains("activity_implausible") == warned, "\(value) Bq/mL: \(codes(run))")
        }
    }

    /// dose_implausible: max above 10000 Gy. D = K·C·1e-6/ρ: K 50 J/GBq, ρ 1, C 2e8 Bq/mL gives 10000 Gy.
    @Test func doseImplausibleBounds() throws {
        let ws = Workspace()
        for (value, warned) in [(Float(1.999e8), false), (Float(2.001e8), true)] {
            let pet = try cube(ws, "pet.nii", value: value, n: 2)
            let run = voxdose(["dose", pet, "--out", ws.out, "--no-decay-correction", "--dose-factor", "50", "--density", "1"])
            #expect(codes(run).contains("dose_implausible") == warned, "\(value): \(codes(run)) max \(run.json["max_gy"] ?? "")")
        }
    }

    /// decay_interval_long: more than 14 days.
    @Test func decayIntervalBounds() throws {
        let ws = Workspace()
        let pet = try cube(ws, "pet.nii", value: Self.bqPerML)
        for (args, warned) in [(["--decay-hours", "336"], false), (["--decay-hours", "337"], true),
                               (["--implant-time", "2026-03-02T09:41:00", "--reference-time", "2026-03-16T09:41:00"], false),
                               (["--implant-time", "2026-02-10T09:41:00", "--reference-time", "2026-03-03T10:15:00"], true)] {
            let run = voxdose(["dose", pet, "--out", ws.out] + args)
            #expect(codes(run).contains("decay_interval_long") == warned, "\(args): \(codes(run))")
        }
    }

    /// A bare activity is bad usage whose message shows the units; so is a volume output that is
    /// not NIfTI, or `-`.
    @Test func unitsAndOutputNames() throws {
        let ws = Workspace()
        let pet = try cube(ws, "pet.nii", value: Self.bqPerML)
        for args in [["--calibrate-activity", "1800", "--calibration-mask", pet], ["--administered-activity", "1.8"],
                     ["--no-decay-correction", "--administered-activity", "1.8GBq", "--residual", "0.05"]] {
            let run = voxdose(["dose", pet, "--out", ws.out] + args)
            #expect(run.status == 64 && run.stderr.contains("GBq") && run.stderr.contains("MBq"), "\(args): \(run.stderr)")
        }
        for out in [ws.path("x.nrrd"), ws.path("x.img"), "-"] {
            let run = voxdose(["dose", pet, "--out", out, "--no-decay-correction"])
            #expect(run.status == 64 && run.stdout.isEmpty, "\(out): \(run.status) \(run.stderr)")
        }
        #expect(!FileManager.default.fileExists(atPath: packageRoot.path + "/-"))
        #expect(ws.listing == ["pet.nii"])
        // JSON to stdout with `-`.
        let summary = voxdose(["dose", pet, "--out", ws.out, "--no-decay-correction", "--summary", "-"])
        #expect(summary.json["schema"] as? String == "voxdose.dose/1")
        let stats = voxdose(["stats", pet, "--out", "-"])
        #expect(stats.json["schema"] as? String == "voxdose.stats/1")
        #expect(!FileManager.default.fileExists(atPath: packageRoot.path + "/-"))
    }

    /// `--strict`: the first warning is the error; nothing is written, nothing printed on stdout.
    @Test func strictRefusesAndWritesNothing() throws {
        let ws = Workspace()
        let kBq = try cube(ws, "pet.nii", value: Self.bqPerML / 1000)
        let run = voxdose(["dose", kBq, "--out", ws.path("dose.nii.gz"), "--summary", ws.path("dose.json"), "--no-decay-correction",
                           "--administered-activity", "1.8GBq", "--strict"])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("error: activity_mismatch: ") && run.stderr.split(separator: "\n").count == 1, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(ws.listing == ["pet.nii"])
        // Without a warning, --strict changes nothing.
        let clean = voxdose(["dose", kBq, "--out", ws.path("dose.nii.gz"), "--no-decay-correction", "--units", "kBq/mL", "--strict"])
        #expect(clean.status == 0 && codes(clean) == [], "\(clean.stderr)")
    }

    /// The sidecar beside the image is read unless --no-sidecar; the summary names it.
    @Test func theSidecarBesideTheImage() throws {
        let ws = Workspace()
        let pet = try cube(ws, "pet.nii", value: Self.bqPerML / 1000)
        try ws.json("pet.json", ["Units": "kBq/mL", "DecayCorrection": "ADMIN", "TracerRadionuclide": "Y90"])
        let run = voxdose(["dose", pet, "--out", ws.out])
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.json["sidecar"] as? String == ws.path("pet.json"))
        #expect(close(run.json["units_to_bq_per_ml"], 1000))
        let ignored = voxdose(["dose", pet, "--out", ws.out, "--no-sidecar", "--no-decay-correction"])
        #expect(ignored.json["sidecar"] is NSNull && close(ignored.json["units_to_bq_per_ml"], 1))
        #expect(voxdose(["dose", pet, "--out", ws.out, "--no-sidecar", "--sidecar", ws.path("pet.json")]).status == 64)
    }

    /// The 90Y kernel's voxel size prints as written in the header, not with Float32 noise.
    @Test func kernelVoxelSizeAsWritten() throws {
        let ws = Workspace()
        let pet = try cube(ws, "pet.nii", value: Self.bqPerML, n: 6, spacing: 1.37)
        let run = voxdose(["dose", pet, "--out", ws.out, "--no-decay-correction", "--method", "dvk"])
        #expect(run.stdout.contains("\"kernel_voxel_mm\": [1.37, 1.37, 1.37]") || run.stdout.contains("1.37,"), "\(run.stdout)")
        #expect(!run.stdout.contains("1.3700000047683716"))
    }
}

@Suite struct MapKindTests {
    /// An SUV map given as --dose (or the two swapped) once marked every lesion hypoxic.
    @Test func mapsOfTheWrongKindAreRefused() throws {
        let ws = Workspace()
        let pet = try cube(ws, "pet.nii", value: 8_281_250)
        let labels = try ws.volume("labels.nii", Grid(dims: [10, 10, 10], spacing: [4, 4, 4]),
                                   (0..<1000).map { Float($0 % 3) }, int16: true)
        #expect(voxdose(["dose", pet, "--out", ws.path("dose.nii"), "--no-decay-correction"]).status == 0)
        #expect(voxdose(["suv", pet, "--out", ws.path("suv.nii"), "--injected-activity", "300MBq", "--weight", "70kg",
                         "--nuclide", "F18", "--decay-corrected", "admin"]).status == 0)
        let bytes = try Data(contentsOf: URL(fileURLWithPath: ws.path("dose.nii")))
        #expect(String(decoding: bytes[328..<335], as: UTF8.self) == "dose_gy")
        let suvBytes = try Data(contentsOf: URL(fileURLWithPath: ws.path("suv.nii")))
        #expect(String(decoding: suvBytes[328..<334], as: UTF8.self) == "suv_bw")
        let calMax = Float(bitPattern: suvBytes[124..<128].withUnsafeBytes { $0.loadUnaligned(as: UInt32.self) })
        #expect(calMax > 0)
        for (args, naming) in [(["lesions", "--labels", labels, "--dose", ws.path("suv.nii")], "suv_bw"),
                               (["lesions", "--labels", labels, "--suv", ws.path("dose.nii")], "dose_gy"),
                               (["dose", ws.path("dose.nii"), "--out", ws.path("again.nii"), "--no-decay-correction"], "dose_gy"),
                               (["suv", ws.path("suv.nii"), "--out", ws.path("again.nii"), "--injected-activity", "300MBq",
                                 "--weight", "70kg", "--nuclide", "F18", "--decay-corrected", "admin"], "suv_bw")] {
            let run = voxdose(args)
            #expect(run.status == 1 && run.stderr.contains(naming) && run.stderr.contains("intent_name"), "\(args): \(run.stderr)")
        }
        // The right kinds pass.
        #expect(voxdose(["lesions", "--labels", labels, "--dose", ws.path("dose.nii"), "--suv", ws.path("suv.nii")]).status == 0)
    }

    @Test func dicomAndNRRDAreRecognisedByContent() throws {
        let ws = Workspace()
        try Data(repeating: 0, count: 128).appending(Data("DICM".utf8)).appending(Data(repeating: 2, count: 400))
            .write(to: URL(fileURLWithPath: ws.path("scan.nii")))
        try Data("NRRD0004\ntype: float\n".utf8).write(to: URL(fileURLWithPath: ws.path("scan.nii.gz")))
        try FileManager.default.createDirectory(atPath: ws.path("series"), withIntermediateDirectories: true)
        try Data(repeating: 0, count: 128).appending(Data("DICM".utf8)).write(to: URL(fileURLWithPath: ws.path("series/IM0001")))
        for (file, words) in [("scan.nii", ["DICOM", "dcm2niix"]), ("scan.nii.gz", ["NRRD", "Slicer"]), ("series", ["DICOM", "dcm2niix"])] {
            for command in [["info"], ["stats"]] {
                let run = voxdose(command + [ws.path(file)])
                #expect(run.status == 1 && words.allSatisfy(run.stderr.contains), "\(file): \(run.stderr)")
            }
        }
    }
}

private extension Data {
    func appending(_ other: Data) -> Data { var copy = self; copy.append(other); return copy }
}

@Suite struct LesionGuardRailTests {
    /// A 12×12×12 liver of 1 mL voxels (label 1, 1728 mL) with lesion 2 inside it.
    func liverScene(_ ws: Workspace) throws -> (dose: String, labels: String, liverMask: String) {
        let grid = Grid(dims: [12, 12, 12], spacing: [10, 10, 10])
        var labels = [Float](repeating: 1, count: grid.voxelCount)
        for k in 4..<6 { for j in 4..<6 { for i in 4..<6 { labels[grid.index(i, j, k)] = 2 } } }
        let dose = try ws.volume("dose.nii", grid, [Float](repeating: 20, count: grid.voxelCount))
        return (dose, try ws.volume("labels.nii", grid, labels, int16: true),
                try ws.volume("liver.nii", grid, [Float](repeating: 1, count: grid.voxelCount), int16: true))
    }

    @Test func theLiverGivenAsALesion() throws {
        let ws = Workspace()
        let scene = try liverScene(ws)
        let forgot = voxdose(["lesions", "--labels", scene.labels, "--dose", scene.dose])
        #expect(codes(forgot) == ["lesion_large"], "\(codes(forgot))")
        #expect(forgot.stderr.contains("--normal-liver-label"))
        let named = voxdose(["lesions", "--labels", scene.labels, "--dose", scene.dose, "--normal-liver-label", "1"])
        #expect(codes(named) == [], "\(codes(named))")
        // A whole-liver mask as the normal liver overlaps the lesion: 8 of its 1728 voxels.
        let grid = Grid(dims: [12, 12, 12], spacing: [10, 10, 10])
        var lesionOnly = [Float](repeating: 0, count: grid.voxelCount)
        for k in 4..<6 { for j in 4..<6 { for i in 4..<6 { lesionOnly[grid.index(i, j, k)] = 2 } } }
        let lesionLabels = try ws.volume("lesion.nii", grid, lesionOnly, int16: true)
        let overlap = voxdose(["lesions", "--labels", lesionLabels, "--dose", scene.dose, "--normal-liver-mask", scene.liverMask])
        #expect(codes(overlap) == ["reference_overlap"], "\(codes(overlap))")
        let text = (overlap.json["warnings"] as? [String] ?? []).first ?? ""
        #expect(text.contains("shares 8 voxels") && text.contains("lesion 2") && text.contains("0.463 %"), "\(text)")
    }

    /// lesion_large: 1000 mL is inside, 1001 mL outside.
    @Test func lesionLargeBounds() throws {
        let ws = Workspace()
        let grid = Grid(dims: [10, 10, 11], spacing: [10, 10, 10])
        for (count, warned) in [(1000, false), (1001, true)] {
            let labels = (0..<grid.voxelCount).map { Float($0 < count ? 1 : 0) }
            let l = try ws.volume("labels.nii", grid, labels, int16: true)
            let d = try ws.volume("dose.nii", grid, [Float](repeating: 20, count: grid.voxelCount))
            let run = voxdose(["lesions", "--labels", l, "--dose", d])
            #expect(codes(run).contains("lesion_large") == warned, "\(count) mL: \(codes(run))")
        }
    }

    /// A small lesion drawn on CT once vanished in resampling without a word.
    @Test func aLesionLostInResampling() throws {
        let ws = Workspace()
        let mapGrid = Grid(dims: [8, 8, 8], spacing: [4, 4, 4])
        let dose = try ws.volume("dose.nii", mapGrid, [Float](repeating: 50, count: mapGrid.voxelCount))
        // CT grid of 1 mm covering the same field: lesion 5 is one voxel between map voxel centres,
        // lesion 6 a 4×4×4 block that survives whole.
        let ctGrid = Grid(dims: [32, 32, 32], spacing: [1, 1, 1], origin: [-1.5, -1.5, -1.5])
        var labels = [Float](repeating: 0, count: ctGrid.voxelCount)
        labels[ctGrid.index(3, 3, 3)] = 5
        for k in 16..<20 { for j in 16..<20 { for i in 16..<20 { labels[ctGrid.index(i, j, k)] = 6 } } }
        let l = try ws.volume("ct_labels.nii", ctGrid, labels, int16: true)
        let run = voxdose(["lesions", "--labels", l, "--dose", dose, "--resample-labels"])
        #expect(run.status == 0, "\(run.stderr)")
        let warnings = run.json["warnings"] as? [String] ?? []
        #expect(warnings.count == 1 && warnings[0].hasPrefix("resampling_loss: label 5 "), "\(warnings)")
        #expect(warnings.first?.contains("0.001 mL") == true, "\(warnings)")
    }
}

@Suite struct PlanAndSuvGuardRailTests {
    @Test func partitionMassesNeedUnitsAndPlausibleValues() throws {
        let base = ["plan", "--partition", "--tnr", "3", "--lung-shunt", "5%"]
        // Meant as grams, once read as kg: a bare mass is bad usage naming the units.
        let bare = voxdose(base + ["--tumour-mass", "200", "--normal-liver-mass", "1300"])
        #expect(bare.status == 64 && bare.stderr.contains("kg"), "\(bare.stderr)")
        for (tumour, liver, lung, warned) in [("5kg", "0.2kg", "0.3kg", false), ("1g", "5kg", "3kg", false), ("5.01kg", "1.3kg", "1kg", true),
                                              ("200g", "0.199kg", "1kg", true), ("200g", "1.3kg", "3.01kg", true), ("0.9g", "1.3kg", "1kg", true),
                                              ("200kg", "1300kg", "1kg", true)] {
            let run = voxdose(base + ["--tumour-mass", tumour, "--normal-liver-mass", liver, "--lung-mass", lung])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(codes(run).contains("mass_implausible") == warned, "\(tumour) \(liver) \(lung): \(codes(run))")
        }
    }

    @Test func bsaBodyAndVolumes() throws {
        let base = ["plan", "--bsa", "--lung-shunt", "5%"]
        for (weight, height, tumour, liver, expected) in [("70kg", "175cm", "100mL", "1500mL", [String]()),
                                                          ("19kg", "175cm", "100mL", "1500mL", ["body_implausible"]),
                                                          ("70kg", "2.51m", "100mL", "1500mL", ["body_implausible"]),
                                                          ("70kg", "175cm", "0.9mL", "5001mL", ["mass_implausible"])] {
            let run = voxdose(base + ["--weight", weight, "--height", height, "--tumour-volume", tumour, "--liver-volume", liver])
            #expect(run.status == 0, "\(run.stderr)")
            #expect(codes(run).filter { $0.hasSuffix("implausible") } == expected, "\(weight) \(height) \(tumour) \(liver): \(codes(run))")
        }
    }

    @Test func suvBodyAndMissingValues() throws {
        let ws = Workspace()
        let pet = try cube(ws, "pet.nii", value: 5000)
        let base = ["suv", pet, "--out", ws.path("suv.nii"), "--injected-activity", "300MBq", "--nuclide", "F18", "--decay-corrected", "admin"]
        for (args, warned) in [(["--weight", "20kg"], false), (["--weight", "19.9kg"], true), (["--weight", "300kg"], false),
                               (["--weight", "70kg", "--height", "99cm"], false),  // bw does not use the height
                               (["--weight", "70kg", "--height", "99cm", "--sex", "male", "--normalization", "lbm-james"], true),
                               (["--weight", "70kg", "--height", "100cm", "--sex", "male", "--normalization", "lbm-james"], false)] {
            let run = voxdose(base + args)
            #expect(run.status == 0, "\(run.stderr)")
            #expect(codes(run).contains("body_implausible") == warned, "\(args): \(codes(run))")
        }
        // Every missing value in one error.
        let run = voxdose(["suv", pet, "--out", ws.path("suv.nii"), "--normalization", "lbm-janmahasatian"])
        #expect(run.status == 1)
        for word in ["--nuclide", "--injected-activity", "--weight", "--height", "--sex", "--decay-corrected"] {
            #expect(run.stderr.contains(word), "\(word) missing from \(run.stderr)")
        }
        #expect(run.stderr.split(separator: "\n").count == 1)
    }

    /// The clean example gives no warning at any step but the default response model's.
    @Test func theCleanExampleGivesNone() throws {
        let ws = Workspace()
        let e = "Fixtures/example/"
        let dose = voxdose(["dose", e + "pet_y90.nii.gz", "--out", ws.path("dose.nii.gz"), "--implant-time", "2026-03-02T09:41:00",
                            "--reference-time", "2026-03-03T10:15:00", "--labels", e + "labels.nii.gz"])
        #expect(dose.status == 0 && codes(dose) == [] && dose.stderr.isEmpty, "\(dose.stderr)")
        let lesions = voxdose(["lesions", "--labels", e + "labels.nii.gz", "--names", e + "labels.tsv", "--dose", ws.path("dose.nii.gz"),
                               "--suv", e + "fmiso_suv.nii.gz", "--normal-liver-label", "1", "--muscle-mask", e + "muscle_mask.nii.gz",
                               "--blood-pool-mask", e + "blood_pool_mask.nii.gz", "--activity", "0.530GBq", "--out", ws.path("lesions.json")])
        #expect(lesions.status == 0 && lesions.stderr.isEmpty, "\(lesions.stderr)")
        // The plan's one warning is the default model's own (fit local data), which --strict refuses.
        let plan = voxdose(["plan", ws.path("lesions.json"), "--lung-shunt", "6%"])
        #expect(plan.status == 0 && codes(plan) == ["default_model"], "\(plan.stderr)")
        let strict = voxdose(["plan", ws.path("lesions.json"), "--lung-shunt", "6%", "--strict"])
        #expect(strict.status == 1 && strict.stderr.hasPrefix("error: default_model: "), "\(strict.stderr)")
    }

    @Test func helpShowsDefaultsAsWritten() {
        let help = voxdose(["lesions", "--help"]).stdout
        #expect(help.contains("default: 2,50,70,90,98") && help.contains("default: 50,89,100,120,205"), "\(help)")
        #expect(!help.contains("entries:"))
        #expect(!voxdose(["stats", "--help"]).stdout.contains("entries:"))
    }
}

/// `lesions --suv-labels`: the dose map and the SUV map on their own grids, each with its own
/// label image (the 90Y PET/MRI and the FMISO PET/CT of one patient); lesions matched by label.
@Suite struct SeparateGridsTests {
    /// Lesion 3 as a ball of radius 9 mm at (30, 30, 30) mm, lesion 4 at (50, 40, 30), label 7
    /// the blood pool (SUV side), label 1 the normal liver (dose side); lesion 5 only in the dose
    /// labels, lesion 6 only in the SUV labels.
    func labels(on grid: Grid, extra: (label: Float, centre: [Double])?) -> [Float] {
        var out = [Float](repeating: 0, count: grid.voxelCount)
        var balls: [(Float, [Double], Double)] = [(3, [30, 30, 30], 9), (4, [50, 40, 30], 7)]
        if let extra { balls.append((extra.label, extra.centre, 6)) }
        for k in 0..<grid.dims[2] { for j in 0..<grid.dims[1] { for i in 0..<grid.dims[0] {
            let p = [grid.origin[0] + Double(i) * grid.spacing[0], grid.origin[1] + Double(j) * grid.spacing[1],
                     grid.origin[2] + Double(k) * grid.spacing[2]]
            var label: Float = p[0] < 12 ? 7 : (p[0] > 64 ? 1 : 0)
            for (l, c, r) in balls where zip(p, c).map({ ($0 - $1) * ($0 - $1) }).reduce(0, +) <= r * r { label = l }
            out[grid.index(i, j, k)] = label
        } } }
        return out
    }

    @Test func eachMapWithItsOwnLabels() throws {
        let ws = Workspace()
        let doseGrid = Grid(dims: [20, 18, 16], spacing: [4, 4, 4])
        let suvGrid = Grid(dims: [38, 34, 30], spacing: [2, 2, 2], origin: [1, 1, 1])
        let doseValues = (0..<doseGrid.voxelCount).map { Float(10 + $0 % 97) }
        let suvValues = (0..<suvGrid.voxelCount).map { Float(1 + Double($0 % 13) / 4) }
        let dose = try ws.volume("dose.nii", doseGrid, doseValues)
        let suv = try ws.volume("suv.nii", suvGrid, suvValues)
        let doseLabels = try ws.volume("dose_labels.nii", doseGrid, labels(on: doseGrid, extra: (5, [30, 50, 40])), int16: true)
        let suvLabels = try ws.volume("suv_labels.nii", suvGrid, labels(on: suvGrid, extra: (6, [50, 20, 20])), int16: true)

        let both = voxdose(["lesions", "--labels", doseLabels, "--dose", dose, "--suv", suv, "--suv-labels", suvLabels,
                            "--blood-pool-label", "7", "--normal-liver-label", "1"])
        #expect(both.status == 0, "\(both.stderr)")
        // The same with one map at a time (there the other side's reference label is just another label).
        let doseAlone = voxdose(["lesions", "--labels", doseLabels, "--dose", dose, "--normal-liver-label", "1"])
        let suvAlone = voxdose(["lesions", "--labels", suvLabels, "--suv", suv, "--blood-pool-label", "7"])
        let rows = try #require(both.json["lesions"] as? [[String: Any]])
        let doseRows = try #require(doseAlone.json["lesions"] as? [[String: Any]])
        let suvRows = try #require(suvAlone.json["lesions"] as? [[String: Any]])
        #expect(rows.map { $0["label"] as? Int } == [3, 4, 5, 6])
        for row in rows {
            let label = row["label"] as? Int
            let d = doseRows.first { $0["label"] as? Int == label }
            let s = suvRows.first { $0["label"] as? Int == label }
            // Each block equals the one-map run on that map's grid; absent where that label image lacks the lesion.
            #expect((row["dose"] == nil) == (d == nil), "lesion \(label ?? -1): dose block")
            #expect((row["suv"] == nil) == (s == nil), "lesion \(label ?? -1): suv block")
            if let d { #expect(difference(row["dose"], d["dose"]) == nil, "lesion \(label ?? -1)") }
            if let s {
                for key in ["suv", "t_bp", "hypoxic", "hypoxic_volume_ml", "hypoxic_fraction"] {
                    #expect(difference(row[key], s[key]) == nil, "lesion \(label ?? -1) \(key)")
                }
            }
            // The geometric size from the dose grid's labels when the lesion is there.
            #expect(difference(row["volume_ml"], (d ?? s)?["volume_ml"]) == nil)
        }
        let refs = both.json["references"] as? [String: Any] ?? [:]
        #expect(difference(refs["blood_pool_suv_mean"], (suvAlone.json["references"] as? [String: Any])?["blood_pool_suv_mean"]) == nil)
        #expect(difference(refs["normal_liver_dose_mean_gy"], (doseAlone.json["references"] as? [String: Any])?["normal_liver_dose_mean_gy"]) == nil)

        // Without --suv-labels the grids must agree; --suv-labels needs both maps.
        let refused = voxdose(["lesions", "--labels", doseLabels, "--dose", dose, "--suv", suv])
        #expect(refused.status == 1 && refused.stderr.contains("--suv-labels"), "\(refused.stderr)")
        #expect(voxdose(["lesions", "--labels", doseLabels, "--suv", suv, "--suv-labels", suvLabels]).status == 64)
    }

    /// `--suv-labels` naming the `--labels` file (through another spelling) with both maps on one
    /// grid: read once, the same table as without `--suv-labels`, `resampling` keyed by map.
    @Test func oneLabelFileForBothMapsOnOneGrid() throws {
        let ws = Workspace()
        let grid = Grid(dims: [20, 18, 16], spacing: [4, 4, 4])
        let dose = try ws.volume("dose.nii", grid, (0..<grid.voxelCount).map { Float(10 + $0 % 97) })
        let suv = try ws.volume("suv.nii", grid, (0..<grid.voxelCount).map { Float(1 + Double($0 % 13) / 4) })
        let labelsPath = try ws.volume("labels.nii", grid, labels(on: grid, extra: nil), int16: true)
        let otherSpelling = (labelsPath as NSString).deletingLastPathComponent + "/./labels.nii"
        let common = ["--dose", dose, "--suv", suv, "--blood-pool-label", "7", "--normal-liver-label", "1", "--resample-labels"]
        let shared = voxdose(["lesions", "--labels", labelsPath, "--suv-labels", otherSpelling] + common)
        let single = voxdose(["lesions", "--labels", labelsPath] + common)
        #expect(shared.status == 0 && single.status == 0, "\(shared.stderr)\(single.stderr)")
        #expect(NSArray(array: shared.json["lesions"] as? [Any] ?? [0]) == NSArray(array: single.json["lesions"] as? [Any] ?? [1]))
        let resampling = try #require(shared.json["resampling"] as? [String: Any])
        #expect(resampling["dose"] is NSNull && resampling["suv"] is NSNull)
    }

    /// Labels drawn on another grid still, each resampled to its own map: `resampling` keyed by map.
    @Test func resamplingIsKeyedByMap() throws {
        let ws = Workspace()
        let doseGrid = Grid(dims: [20, 18, 16], spacing: [4, 4, 4])
        let suvGrid = Grid(dims: [38, 34, 30], spacing: [2, 2, 2], origin: [1, 1, 1])
        let mriGrid = Grid(dims: [80, 72, 64], spacing: [1, 1, 1])
        let dose = try ws.volume("dose.nii", doseGrid, [Float](repeating: 60, count: doseGrid.voxelCount))
        let suv = try ws.volume("suv.nii", suvGrid, [Float](repeating: 2, count: suvGrid.voxelCount))
        let mri = try ws.volume("mri_labels.nii", mriGrid, labels(on: mriGrid, extra: nil), int16: true)
        let run = voxdose(["lesions", "--labels", mri, "--dose", dose, "--suv", suv, "--suv-labels", mri, "--resample-labels",
                           "--blood-pool-label", "7"])
        #expect(run.status == 0, "\(run.stderr)")
        let resampling = try #require(run.json["resampling"] as? [String: Any])
        #expect(Set(resampling.keys) == ["dose", "suv"])
        let doseCounts = try #require((resampling["dose"] as? [String: Any])?["3"] as? [String: Any])
        let suvCounts = try #require((resampling["suv"] as? [String: Any])?["3"] as? [String: Any])
        #expect(doseCounts["voxels_before"] as? Int == suvCounts["voxels_before"] as? Int)
        #expect((suvCounts["voxels_after"] as? Int ?? 0) > (doseCounts["voxels_after"] as? Int ?? 0), "2 mm voxels outnumber 4 mm ones")
    }
}

@Suite struct PatientIdTests {
    @Test func everyRowCarriesThePatientId() throws {
        let ws = Workspace()
        let grid = Grid(dims: [4, 4, 4])
        let labels = try ws.volume("labels.nii", grid, (0..<64).map { Float($0 % 3) }, int16: true)
        let dose = try ws.volume("dose.nii", grid, [Float](repeating: 40, count: 64))
        let run = voxdose(["lesions", "--labels", labels, "--dose", dose, "--patient-id", "ARTE-MISO_07.b", "--csv", ws.path("t.csv")])
        #expect(run.status == 0, "\(run.stderr)")
        let rows = try #require(run.json["lesions"] as? [[String: Any]])
        #expect(rows.count == 2 && rows.allSatisfy { $0["patient_id"] as? String == "ARTE-MISO_07.b" })
        let csv = try String(contentsOfFile: ws.path("t.csv"), encoding: .utf8)
        #expect(csv.hasPrefix("patient_id,label,name,"), "\(csv.prefix(80))")
        for bad in ["", ".hidden", "a/b", "név", String(repeating: "x", count: 65), "a b"] {
            #expect(voxdose(["lesions", "--labels", labels, "--dose", dose, "--patient-id", bad]).status == 64, "'\(bad)'")
        }
        #expect(voxdose(["lesions", "--labels", labels, "--dose", dose, "--patient-id", String(repeating: "x", count: 64)]).status == 0)
    }
}
