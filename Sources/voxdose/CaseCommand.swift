import ArgumentParser
import Foundation
import PatientCase
import VoxelIO

/// `voxdose case STUDY.json --out DIR`: one patient, every step the study's files allow
/// (`voxdose.case/1`, Docs/CASE.md). The study and the steps are PatientCase's; this is the shell.
struct Case: ParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "One patient, one command: every step a study file allows, into one case folder (voxdose.case/1).",
        discussion: "Steps: dose (y90_pet), suv_fmiso, suv_fdg_baseline, suv_fdg_followup, shunt, maa_dose, maa_lesions (maa_spect), "
            + "lesions, response (both FDG scans), plan, compare (90Y PET and MAA), report. All or nothing: on any error DIR is as it "
            + "was. The study file's keys: Docs/CASE.md.")

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
            var settings = CaseRun.Settings(runner: InProcessStepRunner())
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
}

/// Runs a step's command line in this process: the same parser and the same command as the line
/// typed by hand, from the study's folder, with the case's environment; warnings and failures
/// come back as the text the command would have printed on stderr.
struct InProcessStepRunner: StepRunner {
    func run(_ arguments: [String], in folder: String, environment: [String: String]) throws -> (status: Int32, stderr: String) {
        let previous = FileManager.default.currentDirectoryPath
        guard FileManager.default.changeCurrentDirectoryPath(folder) else { throw CaseFailure("cannot enter the study's folder \(folder)") }
        defer { _ = FileManager.default.changeCurrentDirectoryPath(previous) }
        let saved = environment.keys.map { ($0, getenv($0).map { String(cString: $0) }) }
        for (key, value) in environment { setenv(key, value, 1) }
        defer { for (key, value) in saved { if let value { setenv(key, value, 1) } else { unsetenv(key) } } }
        RunWarnings.reset()
        RunWarnings.inProcess = true
        defer { RunWarnings.inProcess = false }
        do {
            var command = try VoxDose.parseAsRoot(Array(arguments.dropFirst()))
            try command.run()
            return (0, RunWarnings.captured.map { "warning: \($0)\n" }.joined())
        } catch let failure as StepFailure {
            return (1, "error: \(failure.message)\n")
        } catch {
            return (VoxDose.exitCode(for: error).rawValue, "error: \(VoxDose.message(for: error))\n")
        }
    }
}
