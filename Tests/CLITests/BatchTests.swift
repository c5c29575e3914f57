import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// `voxdose batch`, `voxdose collect` and the Snakemake workflow (CONTRACT.md Part 2) on copies of
/// the example patient (90Y PET and FMISO only, to keep the runs short), one of them broken.
@Suite(.serialized) struct BatchTests {
    /// A batch folder with studies P01…Pn (P02 broken: a truncated FMISO image) and a manifest.
    func cohort(_ count: Int = 3, broken: Set<String> = ["P02"]) throws -> (root: URL, manifest: URL) {
        let root = temporaryFolder()
        let source = packageRoot.appendingPathComponent(CaseTests.patient)
        var manifest = "patient_id,study,arm\n"
        for n in 1...count {
            let id = String(format: "P%02d", n)
            let folder = root.appendingPathComponent("studies/\(id)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            for name in ["y90_pet.nii.gz", "y90_pet.json", "fmiso_pet.nii.gz", "fmiso_pet.json", "mri_labels.nii.gz", "ct_labels.nii.gz",
                         "lesion_names.tsv"] {
                try FileManager.default.copyItem(at: source.appendingPathComponent(name), to: folder.appendingPathComponent(name))
            }
            if broken.contains(id) {
                let fmiso = folder.appendingPathComponent("fmiso_pet.nii.gz")
                try Data(try Data(contentsOf: fmiso).prefix(50_000)).write(to: fmiso)
            }
            var study = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: source.appendingPathComponent("study.json"))) as? [String: Any])
            for key in ["fdg_baseline", "fdg_followup", "maa_spect", "anatomy"] { study.removeValue(forKey: key) }
            var regions = study["regions"] as! [String: Any]
            regions.removeValue(forKey: "liver")
            study["regions"] = regions
            study["patient_id"] = id
            try JSONSerialization.data(withJSONObject: study).write(to: folder.appendingPathComponent("study.json"))
            manifest += "\(id),studies/\(id)/study.json,\(n % 2 == 0 ? "B" : "A")\n"
        }
        let path = root.appendingPathComponent("manifest.csv")
        try Data(manifest.utf8).write(to: path)
        return (root, path)
    }

    func batchJSON(_ dir: URL) throws -> [[String: Any]] {
        let object = try #require(try JSONSerialization.jsonObject(with: Data(contentsOf: dir.appendingPathComponent("batch.json"))) as? [String: Any])
        return try #require(object["cases"] as? [[String: Any]])
    }

    func statuses(_ dir: URL) throws -> [String] { try batchJSON(dir).map { "\($0["patient_id"]!):\($0["status"]!)" } }

    func listing(_ dir: URL) -> [String] { ((try? FileManager.default.contentsOfDirectory(atPath: dir.path)) ?? []).sorted() }

    @Test func runsSkipsAndRerunsWhatChanged() throws {
        let (root, manifest) = try cohort()
        defer { try? FileManager.default.removeItem(at: root) }
        let out = root.appendingPathComponent("batch")
        let first = CLITests.voxdose(["batch", manifest.path, "--out", out.path, "--jobs", "2"])
        #expect(first.status == 1, "a failed case makes the batch exit 1")
        #expect(try statuses(out) == ["P01:complete", "P02:failed", "P03:complete"])
        let failure = try #require(try batchJSON(out)[1]["error"] as? String)
        #expect(failure.hasPrefix("error: ") && failure.contains("step suv_fmiso") && failure.contains("fmiso_pet.nii.gz"), "\(failure)")
        #expect(listing(out) == ["P01", "P03", "batch.json", "cohort.csv"])
        // cohort.csv: manifest order then label; the manifest's own column; the plan's columns.
        let table = try String(contentsOf: out.appendingPathComponent("cohort.csv"), encoding: .utf8).split(separator: "\n")
        let header = table[0].split(separator: ",").map(String.init)
        #expect(Array(header.prefix(4)) == ["patient_id", "arm", "label", "name"])
        #expect(Array(header.suffix(3)) == ["group", "expected_response", "dose_needed_gy"])
        #expect(table.dropFirst().map { String($0.prefix(8)) } == ["P01,A,2,", "P01,A,3,", "P01,A,4,", "P01,A,5,", "P01,A,6,",
                                                                   "P03,A,2,", "P03,A,3,", "P03,A,4,", "P03,A,5,", "P03,A,6,"])
        // `voxdose cohort` reads it as it is.
        let analysis = CLITests.voxdose(["cohort", out.appendingPathComponent("cohort.csv").path, "--outcome", "hypoxic",
                                         "--predictors", "dose_mean_gy", "--cluster", "patient_id"])
        #expect(analysis.status == 0, "\(analysis.stderr)")

        // A rerun skips what is complete and unchanged.
        let second = CLITests.voxdose(["batch", manifest.path, "--out", out.path])
        #expect(second.status == 1)
        #expect(try statuses(out) == ["P01:skipped", "P02:failed", "P03:skipped"])
        #expect(try batchJSON(out).allSatisfy { ($0["seconds"] as? Double ?? 99) < 5 })
        // One changed input reruns that patient only; the repaired one runs now.
        let names = root.appendingPathComponent("studies/P03/lesion_names.tsv")
        try Data((try String(contentsOf: names, encoding: .utf8).replacingOccurrences(of: "S8_large", with: "S8_big")).utf8).write(to: names)
        try FileManager.default.copyItem(at: packageRoot.appendingPathComponent("\(CaseTests.patient)/fmiso_pet.nii.gz"),
                                         to: root.appendingPathComponent("studies/P02/fmiso_pet.fixed.nii.gz"))
        try FileManager.default.removeItem(at: root.appendingPathComponent("studies/P02/fmiso_pet.nii.gz"))
        try FileManager.default.moveItem(at: root.appendingPathComponent("studies/P02/fmiso_pet.fixed.nii.gz"),
                                         to: root.appendingPathComponent("studies/P02/fmiso_pet.nii.gz"))
        let third = CLITests.voxdose(["batch", manifest.path, "--out", out.path])
        #expect(third.status == 0, "\(third.stderr)")
        #expect(try statuses(out) == ["P01:skipped", "P02:complete", "P03:complete"])
        #expect(try String(contentsOf: out.appendingPathComponent("cohort.csv"), encoding: .utf8).contains("P03,A,2,S8_big"))

        // collect gives the same table from the case folders; Snakemake the same folders and table.
        let collected = root.appendingPathComponent("collected.csv")
        let collect = CLITests.voxdose(["collect"] + ["P03", "P01", "P02"].map { out.appendingPathComponent($0).path }
                                       + ["--manifest", manifest.path, "--out", collected.path])
        #expect(collect.status == 0, "\(collect.stderr)")
        #expect(try Data(contentsOf: collected) == (try Data(contentsOf: out.appendingPathComponent("cohort.csv"))))
        try snakemakeMatches(batch: out, manifest: manifest, root: root)
    }

    /// The workflow on one machine (`--cores 2`) gives the same cohort.csv as `batch`.
    func snakemakeMatches(batch: URL, manifest: URL, root: URL) throws {
        let snakemake = ProcessInfo.processInfo.environment["PATH", default: ""].split(separator: ":")
            .map { "\($0)/snakemake" }.first { FileManager.default.isExecutableFile(atPath: $0) }
        let executable = try #require(snakemake, "snakemake is not installed (make test installs it from PyPI)")
        let out = root.appendingPathComponent("snakemake")
        // Any working folder: the workflow makes its paths absolute.
        let run = try runProgram(executable, ["-s", packageRoot.appendingPathComponent("workflow/Snakefile").path, "--cores", "2", "--quiet",
                                              "--config", "manifest=\(manifest.path)", "out=\(out.path)", "voxdose=\(voxdoseBinary)"],
                                 in: root)
        #expect(run.status == 0, "\(run.text.suffix(2000))")
        #expect(try Data(contentsOf: out.appendingPathComponent("cohort.csv")) == (try Data(contentsOf: batch.appendingPathComponent("cohort.csv"))))
    }

    /// Killed with SIGKILL at several moments and rerun: no finished case lost, no partial case
    /// folder trusted, leftovers removed, and the same cohort.csv as an uninterrupted batch.
    @Test func killedAndResumedGivesTheSameTable() throws {
        let (root, manifest) = try cohort(3, broken: [])
        defer { try? FileManager.default.removeItem(at: root) }
        let reference = root.appendingPathComponent("reference")
        #expect(CLITests.voxdose(["batch", manifest.path, "--out", reference.path, "--jobs", "2"]).status == 0)
        let out = root.appendingPathComponent("killed")
        for delay in [0.4, 1.5, 3.0] {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: voxdoseBinary)
            process.arguments = ["batch", manifest.path, "--out", out.path, "--jobs", "2"]
            process.standardError = FileHandle.nullDevice
            try process.run()
            Thread.sleep(forTimeInterval: delay)
            kill(process.processIdentifier, SIGKILL)
            process.waitUntilExit()
            // Its cases may run on for a moment; wait until no case of this batch is left.
            Thread.sleep(forTimeInterval: 0.2)
            for name in listing(out) where !name.hasPrefix(".") && name.hasPrefix("P") {
                let record = out.appendingPathComponent("\(name)/case.json")
                #expect(FileManager.default.fileExists(atPath: record.path), "case folder \(name) without case.json after SIGKILL at \(delay) s")
            }
        }
        // Cases a killed batch had started finish on their own (all or nothing); let them.
        let deadline = Date().addingTimeInterval(120)
        while listing(out).contains(where: { $0.hasPrefix(".") }) && Date() < deadline { Thread.sleep(forTimeInterval: 0.2) }
        let rerun = CLITests.voxdose(["batch", manifest.path, "--out", out.path, "--jobs", "2"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(listing(out) == ["P01", "P02", "P03", "batch.json", "cohort.csv"], "\(listing(out))")
        #expect(try Data(contentsOf: out.appendingPathComponent("cohort.csv")) == (try Data(contentsOf: reference.appendingPathComponent("cohort.csv"))))
    }

    /// Bad manifests: exit 1 naming the manifest (and the row), before any case runs.
    @Test(arguments: [
        ("id,study\nP01,studies/P01/study.json\n", "a manifest needs the columns patient_id and study"),
        ("patient_id,study\nP01,studies/P01/study.json\nP01,studies/P01/study.json\n", "row 3: patient_id P01 repeats row 2"),
        ("patient_id,study\n../P1,studies/P01/study.json\n", "row 2: patient_id \"../P1\""),
        ("patient_id,study\nP01,studies/P09/study.json\n", "row 2 (P01): the study file studies/P09/study.json does not exist"),
        ("patient_id,study\nP03,studies/P01/study.json\n", "row 2: the study studies/P01/study.json is patient P01, not P03"),
    ])
    func badManifests(_ text: String, _ message: String) throws {
        let (root, _) = try cohort(1, broken: [])
        defer { try? FileManager.default.removeItem(at: root) }
        let manifest = root.appendingPathComponent("bad.csv")
        try Data(text.utf8).write(to: manifest)
        let out = root.appendingPathComponent("batch")
        let run = CLITests.voxdose(["batch", manifest.path, "--out", out.path])
        #expect(run.status == 1)
        #expect(run.stderr.hasPrefix("error: \(manifest.path): \(message)"), "\(run.stderr)")
        #expect(!FileManager.default.fileExists(atPath: out.path))
    }
}
