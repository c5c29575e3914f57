import ArgumentParser
import Foundation
import PatientCase
import VoxelIO

/// `voxdose batch MANIFEST.csv --out DIR`: one case per manifest row, several at once, resumable
/// (Docs/BATCH.md). The run is PatientCase's; this is the shell.
struct Batch: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Many patients on one machine: one voxdose case per manifest row, several at once, then batch.json and cohort.csv.",
        discussion: "A case whose folder is complete and whose inputs are unchanged (sha256) is skipped; a failing case does not stop "
            + "the others. Exit 0 when every case is complete or skipped, else 1.")

    @Argument(help: "CSV with patient_id, study (relative to it) and any other columns.", completion: .file()) var manifest: String
    @Option(help: "The batch folder: DIR/<patient_id>/, batch.json, cohort.csv.", completion: .directory) var out: String
    @Option(help: "Cases at once (default: as many as cores; each case's threads share them).") var jobs: Int?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be 1 or more") }
    }

    func run() throws {
        var failed = false
        try runReportingFailures(common) {
            var settings = BatchRun.Settings(executable: try Self.ownExecutable(),
                                             jobs: jobs ?? ProcessInfo.processInfo.activeProcessorCount)
            settings.strict = common.strict
            let batch = BatchRun(manifest: try Manifest(path: manifest), settings: settings)
            let progress = common
            let outcomes = try batch.run(into: out) { progress.progress($0) }
            for outcome in outcomes where outcome.status == .failed {
                FileHandle.standardError.write(Data("voxdose: \(outcome.patientID) failed: \(outcome.error ?? "")\n".utf8))
            }
            failed = outcomes.contains { $0.status == .failed }
        }
        if failed { throw ExitCode(1) }
    }

    /// This binary, which runs the cases.
    static func ownExecutable() throws -> String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        guard FileManager.default.isExecutableFile(atPath: path) else { throw CommandFailure("cannot find the voxdose binary to run the cases (\(path))") }
        return path
    }
}

/// `voxdose collect CASE_DIR… [--manifest M] --out cohort.csv`: the cohort table of case folders
/// (the workflow's last step), the same as `batch` writes.
struct Collect: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "The cohort table (cohort.csv) of case folders: one row per lesion, as batch writes it.")

    @Argument(help: "Case folders (from voxdose case).", completion: .directory) var cases: [String]
    @Option(help: "The batch manifest: its columns join each case by patient_id, and its order orders the rows.", completion: .file())
    var manifest: String?
    @Option(help: "The CSV file to write (- for stdout).", completion: .file()) var out: String
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if cases.isEmpty { throw ValidationError("name at least one case folder") }
    }

    func run() throws {
        try runReportingFailures(common) {
            var entries: [(id: String, entry: CohortTable.Entry)] = []
            for folder in cases {
                let record = try JSONInput.readObject((folder.hasSuffix("/") ? folder : folder + "/") + "case.json", what: "a case record")
                guard case .string("complete")? = record["status"], case .string(let id)? = record["patient_id"] else {
                    throw CommandFailure("\(folder): is not a complete case (its case.json does not say complete)")
                }
                entries.append((id, CohortTable.Entry(folder: folder, extra: [])))
            }
            var extraColumns: [String] = []
            if let manifest {
                let table = try Manifest(path: manifest)
                extraColumns = table.extraColumns
                let rows = Dictionary(uniqueKeysWithValues: table.rows.enumerated().map { ($1.patientID, ($0, $1)) })
                for n in entries.indices {
                    guard let (_, row) = rows[entries[n].id] else {
                        throw CommandFailure("\(cases[n]): patient \(entries[n].id) is not in the manifest \(manifest)")
                    }
                    entries[n].entry.extra = row.extra
                }
                entries.sort { rows[$0.id]!.0 < rows[$1.id]!.0 }
            }
            let read = cases.flatMap { folder in ["case.json", "lesions.csv", "plan.json", "response.json"].map { (folder.hasSuffix("/") ? folder : folder + "/") + $0 } }
            let outputs = try OutputFiles([out], inputs: read + [manifest].compactMap { $0 })
            try outputs.finish(with: try CohortTable.csv(entries.map(\.entry), extraColumns: extraColumns), to: out == "-" ? nil : out)
        }
    }
}
