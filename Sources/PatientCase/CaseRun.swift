import Foundation
import Reporting
import VoxelIO
#if canImport(Glibc)
import Glibc
#endif

/// A failure of a case: the study file or the step at fault, in one line.
public struct CaseFailure: Error, CustomStringConvertible, Sendable {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// How a case runs one step's command line: `arguments` (`voxdose …`, with the staging folder's
/// paths) from `folder`, with `environment` added; the step's exit status and its stderr text
/// (`warning: …` lines, and an `error: …` line when it failed).
public protocol StepRunner: Sendable {
    func run(_ arguments: [String], in folder: String, environment: [String: String]) throws -> (status: Int32, stderr: String)
}

/// Runs a study's steps, each the `voxdose` command line `case.json` records, from the study's
/// folder, into a staging folder renamed to the case folder when every step has succeeded
/// (Docs/CASE.md).
///
/// Running the recorded command line itself (rather than a library call that should be
/// equivalent) makes "rerun any one step by hand and get the same file" hold by construction;
/// the only difference is the folder, which the step learns through
/// ``OutputFiles/caseFoldersVariable`` so that a summary names the final folder. The `voxdose`
/// tool runs the steps in its own process, so the maps the lesion table reads stay in memory for
/// the report (``FrameCache``).
public struct CaseRun {
    public struct Settings: Sendable {
        /// How each step runs.
        public var runner: any StepRunner
        public var replacing = false
        public var strict = false
        /// Threads each step may use (`VOXDOSE_THREADS`); nil: every core.
        public var threads: Int?
        public init(runner: any StepRunner) { self.runner = runner }
    }

    public let study: Study
    public let steps: CaseSteps
    public let settings: Settings

    public init(study: Study, settings: Settings) throws {
        self.study = study
        self.steps = try CaseSteps(study)
        self.settings = settings
    }

    /// Runs every step into `folder`; `progress` receives one line as each step starts.
    /// - Returns: the warnings of the run (each prefixed with its step), to print once the
    ///   case folder is in place.
    /// - Throws: ``CaseFailure`` or ``VoxelIOError``; the case folder is then as it was.
    public func run(into folder: String, progress: (String) -> Void) throws -> [String] {
        let started = Date()
        let names = steps.names
        // Every file the steps read from the study, hashed before anything runs.
        let planned = names.map { steps.step($0) }
        let inputs = try inputRecords(planned)
        let staging = try StagingFolder(for: folder, replacing: settings.replacing)
        try refuseInputs(inside: staging.destination, inputs)
        // Steps run in this process keep the maps they write and the label images in memory for
        // the steps after them (the lesion table's maps, read again by the report).
        let stagingPrefix = staging.path + "/"
        let labelFiles = Set(study.scans.values.compactMap(\.labels).flatMap { [$0, absolute($0)] })
        FrameCache.start { $0.hasPrefix(stagingPrefix) || labelFiles.contains($0) }
        defer { FrameCache.stop() }

        var records: [JSONValue] = []
        var warnings = steps.warnings.map { "case: " + $0 }
        if settings.strict, let first = warnings.first { throw CaseFailure(first) }
        var carried = CaseSteps.Carried()
        var finished: Date?
        for (index, name) in names.enumerated() {
            let step = steps.step(name, carried: carried)
            progress("case \(study.patientID): step \(index + 1)/\(names.count) \(step.name)")
            if name == .report {
                // The report reads a complete case: case.json first (the report leaves its own
                // step out of the page, so rerunning it by hand gives the same file).
                if settings.strict, let first = warnings.first { throw CaseFailure(first) }
                finished = Date()
                try writeRecord(records, inputs: inputs, warnings: warnings, started: started, finished: finished!, into: staging)
            }
            step.outputs.forEach(staging.expect)
            let begun = Date()
            let stepWarnings = try execute(step, staging: staging)
            records.append(.object([
                "name": .string(step.name),
                "argv": .array(step.argv(caseFolder: staging.destination).map(JSONValue.string)),
                "seconds": .number((Date().timeIntervalSince(begun) * 1000).rounded() / 1000),
                "outputs": .array(step.outputs.map(JSONValue.string)),
            ]))
            warnings += stepWarnings.map { "\(step.name): \($0)" }
            switch name {
            case .dose: carried.doseActivityGBq = try figure("total_activity_gbq", of: name, in: staging.path + "/dose.json")
            case .shunt: carried.lungShuntFraction = try figure("lung_shunt_fraction", of: name, in: staging.path + "/shunt.json")
            default: break
            }
        }
        if settings.strict, let first = warnings.first { throw CaseFailure(first) }
        try writeRecord(records, inputs: inputs, warnings: warnings, started: started, finished: finished ?? Date(), into: staging)
        try staging.commit()
        return warnings
    }

    /// Writes `case.json` (`voxdose.case/1`) into the staging folder.
    private func writeRecord(_ steps: [JSONValue], inputs: [JSONValue], warnings: [String], started: Date, finished: Date,
                             into staging: StagingFolder) throws {
        let record = JSONObject.document(schema: "voxdose.case/1", [
            "patient_id": .string(study.patientID),
            "study": .string(study.path),
            "study_folder": .string(study.folder),
            "started_at": .string(Self.timestamp(started)),
            "finished_at": .string(Self.timestamp(finished)),
            "inputs": .array(inputs),
            "steps": .array(steps),
            "warnings": .array(warnings.map(JSONValue.string)),
            "status": .string("complete"),
        ])
        staging.expect("case.json")
        guard FileManager.default.createFile(atPath: staging.path + "/case.json", contents: Data(record.serialized().utf8)) else {
            throw VoxelIOError(staging.path + "/case.json", "cannot be written")
        }
    }

    /// `{path, sha256, bytes}` of the study file and of every file the steps read, in the
    /// order first read (a `.hdr` image's data file beside it included).
    private func inputRecords(_ planned: [CaseStep]) throws -> [JSONValue] {
        var paths = [(study.path as NSString).lastPathComponent]
        for step in planned {
            for path in step.inputs {
                for file in [path] + NIfTIFile.companionDataFiles(ofHeader: absolute(path)).map(relative) where !paths.contains(file) {
                    paths.append(file)
                }
            }
        }
        return try paths.map { path in
            let digest = try FileDigest.sha256(ofFile: absolute(path))
            return .object(["path": .string(path), "sha256": .string(digest.hex), "bytes": .int(digest.bytes)])
        }
    }

    /// Refuses a case folder that holds an input: replacing it would destroy the input.
    private func refuseInputs(inside folder: String, _ inputs: [JSONValue]) throws {
        for case .object(let entry) in inputs {
            guard case .string(let path)? = entry["path"] else { continue }
            let real = (URL(fileURLWithPath: absolute(path)).resolvingSymlinksInPath().path)
            if real.hasPrefix(folder + "/") {
                throw VoxelIOError(folder, "holds the input \(path); the case folder would replace it, so choose another --out")
            }
        }
    }

    private func absolute(_ path: String) -> String { path.hasPrefix("/") ? path : study.folder + "/" + path }

    private func relative(_ path: String) -> String {
        path.hasPrefix(study.folder + "/") ? String(path.dropFirst(study.folder.count + 1)) : path
    }

    /// A figure a later step takes from a step's JSON output (read back at full precision).
    private func figure(_ key: String, of step: CaseSteps.Name, in path: String) throws -> Double {
        guard let value = try JSONInput.readObject(path, what: "the \(step.rawValue) output")[key]?.finiteNumber else {
            throw CaseFailure("\(study.path): step \(step.rawValue): its output holds no finite \(key)")
        }
        return value
    }

    /// Runs one step from the study's folder; returns its warnings.
    private func execute(_ step: CaseStep, staging: StagingFolder) throws -> [String] {
        var arguments = step.argv(caseFolder: staging.path)
        if settings.strict { arguments.append("--strict") }
        var environment = [OutputFiles.caseFoldersVariable: staging.path + "\n" + staging.destination]
        if let threads = settings.threads { environment["VOXDOSE_THREADS"] = String(threads) }
        let (status, errorText) = try settings.runner.run(arguments, in: study.folder, environment: environment)
        let lines = errorText.split(separator: "\n").map(String.init)
        guard status == 0 else {
            let message = lines.first(where: { $0.hasPrefix("error: ") }).map { String($0.dropFirst(7)) }
                ?? lines.last ?? "exited with status \(status)"
            // The step's message names its files as it saw them: the staging folder is the case folder.
            throw CaseFailure("\(study.path): step \(step.name): \(message.replacingOccurrences(of: staging.path, with: staging.destination))")
        }
        return lines.filter { $0.hasPrefix("warning: ") }.map { String($0.dropFirst(9)) }
    }

    /// ISO 8601 with the local UTC offset (`2026-03-03T10:15:00+01:00`).
    static func timestamp(_ date: Date) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = .current
        formatter.dateFormat = "yyyy-MM-dd'T'HH:mm:ssxxxxx"
        return formatter.string(from: date)
    }
}
