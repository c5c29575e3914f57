import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `voxdose case` (CONTRACT.md Part 2) on the built-in example patient (Fixtures/patient, built by
/// make_example_patient.py with the truth it was built with) and on broken studies.
@Suite struct CaseTests {
    static let patient = "Fixtures/patient"

    /// Runs `voxdose args…` from `folder` (a step's command line runs from the study's folder).
    func voxdose(_ args: [String], from folder: URL) throws -> (status: Int32, stderr: String) {
        let run = try runProgram(voxdoseBinary, args, in: folder)
        return (run.status, run.text)
    }

    func json(_ url: URL) throws -> [String: Any] {
        try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: url)) as? [String: Any])
    }

    func entries(_ folder: URL) -> [String] {
        ((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).sorted()
    }

    /// One run of the example patient, shared by the tests that only read it.
    static let exampleRun: (folder: URL, result: RunResult) = {
        let parent = temporaryFolder()
        let out = parent.appendingPathComponent("EXAMPLE-001")
        return (out, CLITests.voxdose(["case", "\(patient)/study.json", "--out", out.path]))
    }()

    @Test func examplePatientCompletesWithEveryOutput() throws {
        let (out, run) = Self.exampleRun
        #expect(run.status == 0, "\(run.stderr)")
        #expect(run.stdout.isEmpty)
        #expect(entries(out) == ["case.json", "compare.json", "dose.json", "dose.nii.gz", "dvh.csv", "fdg_baseline_sul.json",
                                 "fdg_baseline_sul.nii.gz", "fdg_followup_sul.json", "fdg_followup_sul.nii.gz", "fmiso_suv.json",
                                 "fmiso_suv.nii.gz", "lesions.csv", "lesions.json", "maa_dose.json", "maa_dose.nii.gz",
                                 "maa_lesions.json", "plan.json", "report.html", "response.json", "shunt.json"])
        #expect(entries(out.deletingLastPathComponent()) == ["EXAMPLE-001"], "no temporary folder is left beside the case")
        let record = try json(out.appendingPathComponent("case.json"))
        #expect(record["schema"] as? String == "voxdose.case/1")
        #expect(record["patient_id"] as? String == "EXAMPLE-001")
        #expect(record["study"] as? String == "\(Self.patient)/study.json")
        #expect(record["status"] as? String == "complete")
        // The only warning: the plan's default response model (the example has no fitted model).
        #expect((record["warnings"] as? [String])?.map { $0.prefix(21) } == ["plan: default_model: "], "\(record["warnings"] ?? "")")
        let offsetDateTime = #/^\d{4}-\d\d-\d\dT\d\d:\d\d:\d\d[+-]\d\d:\d\d$/#
        for key in ["started_at", "finished_at"] {
            #expect((record[key] as? String).map { $0.wholeMatch(of: offsetDateTime) != nil } == true, "\(key)")
        }
        let steps = try #require(record["steps"] as? [[String: Any]])
        #expect(steps.map { $0["name"] as? String } == ["dose", "suv_fmiso", "suv_fdg_baseline", "suv_fdg_followup", "shunt", "maa_dose",
                                                        "maa_lesions", "lesions", "response", "plan", "compare", "report"])
        #expect(steps.allSatisfy { ($0["argv"] as? [String])?.first == "voxdose" && ($0["seconds"] as? Double ?? -1) >= 0 })
        #expect(Set(steps.flatMap { $0["outputs"] as? [String] ?? [] }).union(["case.json"]) == Set(entries(out)))
    }

    /// Every file read, the study and the sidecars included, with the digest sha256sum gives.
    @Test func inputsAreRecordedWithTheirDigests() throws {
        let (out, run) = Self.exampleRun
        try #require(run.status == 0)
        let inputs = try #require(try json(out.appendingPathComponent("case.json"))["inputs"] as? [[String: Any]])
        let paths = inputs.compactMap { $0["path"] as? String }
        #expect(Set(paths) == ["study.json", "y90_pet.nii.gz", "y90_pet.json", "fmiso_pet.nii.gz", "fmiso_pet.json", "fdg_baseline.nii.gz",
                               "fdg_baseline.json", "fdg_followup.nii.gz", "fdg_followup.json", "mri_labels.nii.gz", "ct_labels.nii.gz",
                               "lesion_names.tsv", "maa_spect.nii.gz", "maa_spect.json", "maa_labels.nii.gz", "perfused_liver_mask.nii.gz"])
        #expect(paths.count == Set(paths).count)
        for input in inputs {
            let file = packageRoot.appendingPathComponent("\(Self.patient)/\(input["path"] as! String)")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/sha256sum")
            process.arguments = [file.path]
            let pipe = Pipe()
            process.standardOutput = pipe
            try process.run()
            let line = String(decoding: pipe.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
            process.waitUntilExit()
            #expect(line.hasPrefix("\(input["sha256"] as? String ?? "?") "), "\(file.path)")
            #expect(input["bytes"] as? Int == (try FileManager.default.attributesOfItem(atPath: file.path)[.size] as? Int))
        }
    }

    /// The case recovers the truth the example was built with (Fixtures/patient/truth.json):
    /// Dmean within the tolerance the generator derives from the noise, the hypoxic class and
    /// the plan's group exactly, PERCIST categories as built, patient_id on every row.
    @Test func examplePatientRecoversItsTruth() throws {
        let (out, run) = Self.exampleRun
        try #require(run.status == 0)
        let truth = try loadJSON("\(Self.patient)/truth.json")
        let truthLesions = try #require(truth["lesions"] as? [String: [String: Any]])
        let table = try json(out.appendingPathComponent("lesions.json"))
        let rows = try #require(table["lesions"] as? [[String: Any]])
        #expect(rows.map { $0["label"] as? Int } == [2, 3, 4, 5, 6])
        for row in rows {
            let label = try #require(row["label"] as? Int)
            let expected = try #require(truthLesions[String(label)])
            #expect(row["patient_id"] as? String == "EXAMPLE-001")
            #expect(row["name"] as? String == expected["name"] as? String)
            let dmean = try #require((row["dose"] as? [String: Any])?["mean_gy"] as? Double)
            let reference = try #require(expected["expected_dose_mean_gy"] as? Double)
            let tolerance = try #require(expected["dose_mean_tolerance_gy"] as? Double)
            #expect(abs(dmean - reference) <= tolerance, "lesion \(label): Dmean \(dmean) Gy, expected \(reference) ± \(tolerance)")
            #expect(row["hypoxic"] as? Bool == expected["hypoxic"] as? Bool, "lesion \(label)")
        }
        let plan = try json(out.appendingPathComponent("plan.json"))
        for row in try #require(plan["lesions"] as? [[String: Any]]) {
            let label = try #require(row["label"] as? Int)
            #expect(row["group"] as? String == truthLesions[String(label)]?["group"] as? String, "lesion \(label)")
        }
        // The plan's prescription took the treatment's lung shunt, lung mass and microspheres.
        let prescription = try #require(plan["prescription"] as? [String: Any])
        #expect(prescription["binding_constraint"] as? String != nil)
        // The activity carried from the dose step equals the image's, at full precision.
        let dose = try json(out.appendingPathComponent("dose.json"))
        let activity = try #require(dose["total_activity_gbq"] as? Double)
        #expect((table["parameters"] as? [String: Any])?["activity_gbq"] as? Double == activity)
        #expect(close(activity, truth["total_activity_gbq_expected"], rel: 1e-5))
        let normalLiver = try #require((truth["normal_liver"] as? [String: Any])?["expected_dose_mean_gy"] as? Double)
        #expect(close((table["references"] as? [String: Any])?["normal_liver_dose_mean_gy"], normalLiver, rel: 0.01))
        // PERCIST: built as -64 %, -40 %, +50 %, 0 %, -60 % SUL changes; muscle (label 7) is not a lesion.
        let response = try json(out.appendingPathComponent("response.json"))
        let categories = (response["lesions"] as? [[String: Any]] ?? []).map { "\($0["label"] ?? "?"):\($0["category"] ?? "?")" }
        #expect(categories == ["2:PMR", "3:PMR", "4:PMD", "5:SMD", "6:PMR"])
        // Before the treatment: the lung shunt from the MAA SPECT, the predicted lesion doses at the
        // planned activity, and predicted vs delivered for every lesion.
        let maa = try #require(truth["maa"] as? [String: Any])
        let shunt = try json(out.appendingPathComponent("shunt.json"))
        let fraction = try #require(shunt["lung_shunt_fraction"] as? Double)
        let expectedFraction = try #require(maa["lung_shunt_expected"] as? Double)
        #expect(abs(fraction - expectedFraction) <= (maa["lung_shunt_tolerance"] as? Double ?? 0), "shunt \(fraction) vs \(expectedFraction)")
        let predicted = try #require(try json(out.appendingPathComponent("maa_lesions.json"))["lesions"] as? [[String: Any]])
        #expect(predicted.map { $0["label"] as? Int } == [2, 3, 4, 5, 6])
        for row in predicted {
            let expected = try #require(truthLesions[String(row["label"] as? Int ?? 0)])
            let dmean = try #require((row["dose"] as? [String: Any])?["mean_gy"] as? Double)
            let reference = try #require(expected["maa_expected_dose_mean_gy"] as? Double)
            #expect(abs(dmean - reference) <= (expected["maa_dose_mean_tolerance_gy"] as? Double ?? 0), "MAA lesion \(row["label"] ?? "?"): \(dmean) vs \(reference)")
            #expect(row["patient_id"] as? String == "EXAMPLE-001")
        }
        let compare = try json(out.appendingPathComponent("compare.json"))
        #expect((compare["summary"] as? [String: Any])?["n"] as? Int == 5)
        let csv = try String(contentsOf: out.appendingPathComponent("lesions.csv"), encoding: .utf8)
        let header = try #require(csv.split(separator: "\n").first).split(separator: ",")
        let column = try #require(header.firstIndex(of: "patient_id"))
        #expect(csv.split(separator: "\n").dropFirst().allSatisfy { $0.split(separator: ",", omittingEmptySubsequences: false)[column] == "EXAMPLE-001" })
    }

    /// Each step's argv, run by hand from the study's folder, writes the same bytes (so the case's
    /// outputs equal the separate commands' outputs on the same inputs).
    @Test func everyStepsCommandLineRerunsToTheSameFiles() throws {
        let parent = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: parent) }
        let out = parent.appendingPathComponent("case"), kept = parent.appendingPathComponent("kept")
        let run = CLITests.voxdose(["case", "\(Self.patient)/study.json", "--out", out.path])
        try #require(run.status == 0, "\(run.stderr)")
        try FileManager.default.copyItem(at: out, to: kept)
        let steps = try #require(try json(out.appendingPathComponent("case.json"))["steps"] as? [[String: Any]])
        for step in steps {
            let argv = try #require(step["argv"] as? [String])
            let rerun = try voxdose(Array(argv.dropFirst()), from: packageRoot.appendingPathComponent(Self.patient))
            #expect(rerun.status == 0, "\(argv): \(rerun.stderr)")
            for name in step["outputs"] as? [String] ?? [] {
                let a = try Data(contentsOf: out.appendingPathComponent(name)), b = try Data(contentsOf: kept.appendingPathComponent(name))
                #expect(a == b, "\(step["name"] ?? "?"): \(name) differs when its argv is rerun by hand")
            }
        }
    }

    /// Labels drawn on the MRI and CT grids give the same tables as the same labels mapped onto
    /// each PET grid beforehand by the generator's own nearest-neighbour resampling.
    @Test func labelsOnOtherGridsGiveTheSameTableAsLabelsOnThePETGrids() throws {
        let (out, run) = Self.exampleRun
        try #require(run.status == 0)
        let parent = temporaryFolder()
        defer { try? FileManager.default.removeItem(at: parent) }
        let same = parent.appendingPathComponent("pet_grid")
        let sameRun = CLITests.voxdose(["case", "\(Self.patient)/pet_grid/study.json", "--out", same.path])
        try #require(sameRun.status == 0, "\(sameRun.stderr)")
        let a = try json(out.appendingPathComponent("lesions.json")), b = try json(same.appendingPathComponent("lesions.json"))
        #expect(NSArray(array: a["lesions"] as? [Any] ?? []) == NSArray(array: b["lesions"] as? [Any] ?? []))
        #expect(NSDictionary(dictionary: a["references"] as? [String: Any] ?? [:]) == NSDictionary(dictionary: b["references"] as? [String: Any] ?? [:]))
        let ma = try json(out.appendingPathComponent("maa_lesions.json")), mb = try json(same.appendingPathComponent("maa_lesions.json"))
        #expect(NSArray(array: ma["lesions"] as? [Any] ?? []) == NSArray(array: mb["lesions"] as? [Any] ?? []))
        let ra = try json(out.appendingPathComponent("response.json")), rb = try json(same.appendingPathComponent("response.json"))
        #expect(NSArray(array: ra["lesions"] as? [Any] ?? []) == NSArray(array: rb["lesions"] as? [Any] ?? []))
        let resampling = try #require(b["resampling"] as? [String: Any])
        #expect(resampling["dose"] is NSNull && resampling["suv"] is NSNull)
    }

    // MARK: - The case folder

    /// A copy of the example patient's study folder to break things in.
    func studyCopy(_ edit: (inout [String: Any]) -> Void = { _ in }) throws -> (folder: URL, study: URL) {
        let folder = temporaryFolder()
        for name in try FileManager.default.contentsOfDirectory(atPath: packageRoot.appendingPathComponent(Self.patient).path)
        where name.hasSuffix(".gz") || name.hasSuffix(".json") || name.hasSuffix(".tsv") {
            try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("\(Self.patient)/\(name)"), to: folder.appendingPathComponent(name))
        }
        let study = folder.appendingPathComponent("study.json")
        var object = try json(study)
        edit(&object)
        try JSONSerialization.data(withJSONObject: object).write(to: study)
        return (folder, study)
    }

    @Test func aFailingStepLeavesNothingAndNamesTheStepAndTheFile() throws {
        let (folder, study) = try studyCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        // A truncated FMISO image: the suv_fmiso step fails after the dose step has written.
        let fmiso = folder.appendingPathComponent("fmiso_pet.nii.gz")
        let bytes = try Data(contentsOf: fmiso)
        try bytes.prefix(bytes.count / 2).write(to: fmiso)
        let out = folder.appendingPathComponent("out")
        let run = CLITests.voxdose(["case", study.path, "--out", out.path])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("error: \(study.path): step suv_fmiso: fmiso_pet.nii.gz"), "\(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1)
        #expect(!run.stderr.contains(".tmp-"), "the message names the case folder, not the staging folder: \(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        #expect(!entries(folder).contains { $0.hasPrefix(".") }, "\(entries(folder))")
    }

    /// A lung shunt without the normal liver: the plan cannot prescribe; the case says so
    /// (`case: prescription_skipped:`) and completes, or with --strict refuses.
    @Test func aPrescriptionWithoutTheNormalLiverIsSkippedWithAWarning() throws {
        let (folder, study) = try studyCopy { study in
            for key in ["fdg_baseline", "fdg_followup", "maa_spect"] { study.removeValue(forKey: key) }
            study["regions"] = ["muscle": 7, "blood_pool": 8]
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        let strict = CLITests.voxdose(["case", study.path, "--out", out.path, "--strict"])
        #expect(strict.status == 1 && strict.stderr.hasPrefix("error: case: prescription_skipped: "), "\(strict.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        let run = CLITests.voxdose(["case", study.path, "--out", out.path])
        #expect(run.status == 0, "\(run.stderr)")
        let warnings = try json(out.appendingPathComponent("case.json"))["warnings"] as? [String] ?? []
        #expect(warnings.first?.hasPrefix("case: prescription_skipped: ") == true, "\(warnings)")
        let plan = try json(out.appendingPathComponent("plan.json"))
        #expect(plan["prescription"] == nil || plan["prescription"] is NSNull)
    }

    /// Before the treatment (no 90Y PET): the shunt step's fraction, at full precision, calibrates
    /// the predictive map and sets the plan's lung shunt; the plan reads the MAA lesion table.
    @Test func maaOnlyStudyPlansFromThePredictedTable() throws {
        let (folder, study) = try studyCopy { study in
            for key in ["y90_pet", "fdg_baseline", "fdg_followup"] { study.removeValue(forKey: key) }
            var treatment = study["treatment"] as! [String: Any]
            treatment.removeValue(forKey: "lung_shunt")
            study["treatment"] = treatment
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        let run = CLITests.voxdose(["case", study.path, "--out", out.path])
        try #require(run.status == 0, "\(run.stderr)")
        let record = try json(out.appendingPathComponent("case.json"))
        let steps = try #require(record["steps"] as? [[String: Any]])
        #expect(steps.map { $0["name"] as? String } == ["suv_fmiso", "shunt", "maa_dose", "maa_lesions", "plan", "report"])
        let fraction = try #require(try json(out.appendingPathComponent("shunt.json"))["lung_shunt_fraction"] as? Double)
        let argv = steps.map { $0["argv"] as? [String] ?? [] }
        #expect(argv[2].contains("\(fraction)"), "maa_dose takes the shunt step's fraction: \(argv[2])")
        #expect(argv[3].contains("\(1.65 * (1 - fraction))GBq"), "maa_lesions: --activity A(1 − F): \(argv[3])")
        #expect(argv[4].contains(out.path + "/maa_lesions.json") && argv[4].contains("\(fraction)"))
        // Before the treatment the case's DVH is the MAA's prediction, and the report says so.
        #expect((steps[3]["outputs"] as? [String])?.contains("dvh.csv") == true)
        let page = try String(contentsOf: out.appendingPathComponent("report.html"), encoding: .utf8)
        let start = try #require(page.range(of: "<svg id=\"dvh\""))
        let end = try #require(page.range(of: "</svg>", range: start.upperBound..<page.endIndex))
        let svg = page[start.lowerBound..<end.upperBound]
        #expect(svg.components(separatedBy: "<path data-label=").count - 1 == 6, "5 lesions and the normal liver")
        #expect(page.contains("Predicted cumulative DVH") && page.contains("doses predicted from the 99mTc-MAA SPECT/CT"))
        let plan = try json(out.appendingPathComponent("plan.json"))
        #expect((plan["lesions"] as? [[String: Any]])?.compactMap { $0["group"] as? String }.count == 5)
        // The prescription keeps the normal liver within the resin limit (40 Gy) and the lungs within 30 Gy.
        let prescription = try #require(plan["prescription"] as? [String: Any])
        #expect(prescription["binding_constraint"] is String && (prescription["activity_gbq"] as? Double ?? 0) > 0)
        #expect((prescription["normal_liver_dose_gy"] as? Double ?? .infinity) <= 40 + 1e-9)
        #expect((prescription["lung_dose_gy"] as? Double ?? .infinity) <= 30 + 1e-9)
        // The MAA SPECT without the perfused liver cannot be calibrated.
        var object = try json(study)
        var regions = object["regions"] as! [String: Any]
        regions.removeValue(forKey: "liver")
        object["regions"] = regions
        try JSONSerialization.data(withJSONObject: object).write(to: study)
        let refused = CLITests.voxdose(["case", study.path, "--out", folder.appendingPathComponent("out2").path])
        #expect(refused.status == 1 && refused.stderr.hasPrefix("error: \(study.path): regions.liver: is missing"), "\(refused.stderr)")
    }

    @Test func anExistingFolderIsReplacedOnlyWithOverwrite() throws {
        let (folder, study) = try studyCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        // An empty folder is used as if absent.
        try FileManager.default.createDirectory(at: out, withIntermediateDirectories: false)
        #expect(CLITests.voxdose(["case", study.path, "--out", out.path]).status == 0)
        try Data("old".utf8).write(to: out.appendingPathComponent("old_result.txt"))
        let refused = CLITests.voxdose(["case", study.path, "--out", out.path])
        #expect(refused.status == 1)
        #expect(refused.stderr.contains("--overwrite"), "\(refused.stderr)")
        #expect(entries(out).contains("old_result.txt"))
        let replaced = CLITests.voxdose(["case", study.path, "--out", out.path + "/", "--overwrite", "--jobs", "1"])
        #expect(replaced.status == 0, "\(replaced.stderr)")
        #expect(!entries(out).contains("old_result.txt") && entries(out).contains("case.json"))
        #expect(!entries(folder).contains { $0.hasPrefix(".") })
        // A case folder holding an input would destroy it: refused even with --overwrite.
        let inside = CLITests.voxdose(["case", study.path, "--out", folder.path, "--overwrite"])
        #expect(inside.status == 1)
        #expect(inside.stderr.contains("holds the input"), "\(inside.stderr)")
        #expect(FileManager.default.fileExists(atPath: study.path))
    }

    /// A warning of any step goes to case.json prefixed with the step; `--strict` makes it an error
    /// and writes nothing.
    @Test func stepWarningsArePrefixedAndStrictRefuses() throws {
        let (folder, study) = try studyCopy { study in
            var treatment = study["treatment"] as! [String: Any]
            treatment["administered_activity"] = "4.5GBq"  // the image holds about 1.5 GBq: activity_mismatch
            study["treatment"] = treatment
        }
        defer { try? FileManager.default.removeItem(at: folder) }
        let out = folder.appendingPathComponent("out")
        let strict = CLITests.voxdose(["case", study.path, "--out", out.path, "--strict"])
        #expect(strict.status == 1)
        #expect(strict.stderr.hasPrefix("error: \(study.path): step dose: activity_mismatch: "), "\(strict.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
        let run = CLITests.voxdose(["case", study.path, "--out", out.path])
        #expect(run.status == 0)
        let warnings = try json(out.appendingPathComponent("case.json"))["warnings"] as? [String] ?? []
        #expect(warnings.first?.hasPrefix("dose: activity_mismatch: ") == true, "\(warnings)")
        #expect(run.stderr.contains("warning: dose: activity_mismatch: "))
    }

    /// Bad study files: exit 1 with one `error:` line naming the study file and the key; nothing written.
    @Test(arguments: [
        ("not JSON", "{ not json", "a study file is not a JSON object"),
        ("no patient id", #"{"y90_pet": {"image": "y90_pet.nii.gz"}, "labels": "mri_labels.nii.gz"}"#, "patient_id: is missing"),
        ("bad patient id", #"{"patient_id": "../P1", "y90_pet": {"image": "y90_pet.nii.gz"}}"#, "patient_id: is \"../P1\""),
        ("missing file", #"{"patient_id": "P1", "labels": "mri_labels.nii.gz", "y90_pet": {"image": "nope.nii.gz"}}"#, "y90_pet.image: nope.nii.gz does not exist"),
        ("unknown schema", #"{"schema": "voxdose.study/2", "patient_id": "P1"}"#, "schema: is \"voxdose.study/2\""),
        ("no 90Y PET", #"{"patient_id": "P1", "fmiso_pet": {"image": "fmiso_pet.nii.gz"}}"#, "y90_pet: is missing"),
        ("unknown key", #"{"patient_id": "P1", "treatmnet": {}, "y90_pet": {"image": "y90_pet.nii.gz"}}"#, "treatmnet: is not a study key"),
        ("bare activity", #"{"patient_id": "P1", "treatment": {"administered_activity": 1.8}, "y90_pet": {"image": "y90_pet.nii.gz"}}"#,
         "treatment.administered_activity: is 1.8; write it with its unit"),
        ("no labels", #"{"patient_id": "P1", "y90_pet": {"image": "y90_pet.nii.gz"}}"#, "labels: is missing"),
        ("output option", #"{"patient_id": "P1", "labels": "mri_labels.nii.gz", "y90_pet": {"image": "y90_pet.nii.gz", "options": {"out": "x.nii"}}}"#,
         "y90_pet.options.out: names an output"),
        ("shunt out of range", #"{"patient_id": "P1", "treatment": {"lung_shunt": 1.2}, "labels": "mri_labels.nii.gz", "y90_pet": {"image": "y90_pet.nii.gz"}}"#,
         "treatment.lung_shunt: is 1.2"),
    ])
    func badStudyFiles(_ name: String, _ text: String, _ message: String) throws {
        let (folder, _) = try studyCopy()
        defer { try? FileManager.default.removeItem(at: folder) }
        let study = folder.appendingPathComponent("bad.json")
        try Data(text.utf8).write(to: study)
        let out = folder.appendingPathComponent("out")
        let run = CLITests.voxdose(["case", study.path, "--out", out.path])
        #expect(run.status == 1, "\(name)")
        #expect(run.stderr.hasPrefix("error: \(study.path): \(message)"), "\(name): \(run.stderr)")
        #expect(run.stderr.split(separator: "\n").count == 1, "\(name)")
        #expect(!FileManager.default.fileExists(atPath: out.path), "\(name)")
    }

    @Test func badUsageIsExit64() {
        #expect(CLITests.voxdose(["case", "\(Self.patient)/study.json"]).status == 64)
        #expect(CLITests.voxdose(["case", "\(Self.patient)/study.json", "--out", "x", "--jobs", "0"]).status == 64)
    }

    /// Stopped by a signal at whatever moment, a case leaves either nothing or its complete
    /// folder, and never a temporary folder.
    @Test(arguments: [SIGTERM, SIGINT, SIGHUP])
    func aSignalLeavesNothingBehind(_ signal: Int32) throws {
        for delay in [0.15, 0.4] {
            let parent = temporaryFolder()
            defer { try? FileManager.default.removeItem(at: parent) }
            let out = parent.appendingPathComponent("case")
            let process = Process()
            process.executableURL = URL(fileURLWithPath: voxdoseBinary)
            process.arguments = ["case", "\(Self.patient)/study.json", "--out", out.path]
            process.currentDirectoryURL = packageRoot
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, signal)
            process.waitUntilExit()
            let left = entries(parent)
            if left.isEmpty { continue }
            #expect(left == ["case"], "signal \(signal) after \(delay) s left \(left)")
            #expect(entries(out).contains("case.json"), "signal \(signal) after \(delay) s left a partial case")
        }
    }
}
