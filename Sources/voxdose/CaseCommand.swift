import ArgumentParser
import Foundation
import PatientCase
import VoxelIO

/// `voxdose case STUDY.json --out DIR`: one patient, every step the study's files allow
/// (`voxdose.case/1`, Docs/CASE.md). The study and the steps are PatientCase's; this is the shell.
struct Case: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One patient, one command: every step a study file allows, into one case folder (voxdose.case/1).",
        discussion: "Steps: dose (y90_pet), suv_fmiso, suv_fdg_baseline, suv_fdg_followup, lesions, response (both FDG scans), "
            + "plan. All or nothing: on any error DIR is as it was. The study file's keys: Docs/CASE.md.")

    @Argument(help: "The study file (voxdose.study/1, JSON; paths relative to its folder).", completion: .file()) var study: String
    @Option(help: "The case folder (absent, empty, or replaced with --overwrite).", completion: .directory) var out: String
    @Flag(help: "Replace a non-empty case folder.") var overwrite = false
    @Option(help: "Threads each step may use (default: every core).") var jobs: Int?
    @OptionGroup var common: CommonOptions

    func validate() throws {
        if let jobs, jobs < 1 { throw ValidationError("--jobs must be 1 or more") }
        if out == OutputFiles.standardOutputName { throw ValidationError("--out -: a case is a folder; name one") }
    }

    func run() throws {
        try runReportingFailures(common) {
            var settings = CaseRun.Settings(executable: try Self.ownExecutable())
            settings.replacing = overwrite
            settings.strict = common.strict
            settings.threads = jobs
            let run = try CaseRun(study: try Study(path: study), settings: settings)
            do {
                let warnings = try run.run(into: out) { common.progress($0) }
                for warning in warnings { FileHandle.standardError.write(Data("warning: \(warning)\n".utf8)) }
            } catch let failure as CaseFailure {
                throw CommandFailure(failure.description)
            }
        }
    }

    /// This binary, which runs the steps.
    static func ownExecutable() throws -> String {
        let path = (try? FileManager.default.destinationOfSymbolicLink(atPath: "/proc/self/exe")) ?? CommandLine.arguments[0]
        guard FileManager.default.isExecutableFile(atPath: path) else { throw CommandFailure("cannot find the voxdose binary to run the steps (\(path))") }
        return path
    }
}
