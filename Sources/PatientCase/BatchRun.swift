import Foundation
import Reporting
import VoxelIO

/// Many patients on one machine: one `voxdose case` per manifest row into `DIR/<patient_id>/`,
/// several at once, skipping cases that are complete and whose inputs are unchanged, a failing
/// case recorded without stopping the others; then `batch.json` and `cohort.csv` (Docs/BATCH.md).
public struct BatchRun: Sendable {
    public struct Settings: Sendable {
        /// The `voxdose` binary each case runs.
        public var executable: String
        /// Cases at once.
        public var jobs: Int
        public var strict = false
        public init(executable: String, jobs: Int) {
            self.executable = executable
            self.jobs = jobs
        }
    }

    public enum Status: String, Sendable { case complete, skipped, failed }

    public struct Outcome: Sendable {
        public var patientID: String
        public var status: Status
        /// The case's `error:` line, naming the step and the file.
        public var error: String?
        public var seconds: Double
    }

    public let manifest: Manifest
    public let settings: Settings

    public init(manifest: Manifest, settings: Settings) {
        self.manifest = manifest
        self.settings = settings
    }

    /// Runs the batch into `folder`; `progress` gets a line whenever a case starts or ends.
    /// - Returns: one outcome per manifest row, in its order.
    public func run(into folder: String, progress: @escaping @Sendable (String) -> Void) throws -> [Outcome] {
        let dir = folder.hasSuffix("/") ? String(folder.dropLast()) : folder
        if FileManager.default.fileExists(atPath: dir) {
            var isFolder: ObjCBool = false
            guard FileManager.default.fileExists(atPath: dir, isDirectory: &isFolder), isFolder.boolValue else {
                throw VoxelIOError(folder, "exists and is not a folder")
            }
        } else {
            do { try FileManager.default.createDirectory(atPath: dir, withIntermediateDirectories: false) } catch {
                throw VoxelIOError(folder, "cannot be created (its parent folder must exist)")
            }
        }
        // Leftovers of a batch that was killed: temporary case folders `.<patient_id>.tmp-*`.
        StagingFolder.sweepLeftovers(inFolder: dir)

        let started = Date()
        let board = Board(count: manifest.rows.count)
        let threads = max(1, ProcessInfo.processInfo.activeProcessorCount / max(1, settings.jobs))
        DispatchQueue.concurrentPerform(iterations: max(1, min(settings.jobs, manifest.rows.count))) { _ in
            while let index = board.next() {
                let row = manifest.rows[index]
                let begun = Date()
                let caseFolder = dir + "/" + row.patientID
                if CaseCheck.isCompleteAndUnchanged(caseFolder, studyPath: row.studyPath) {
                    board.finish(index, Outcome(patientID: row.patientID, status: .skipped, error: nil, seconds: Date().timeIntervalSince(begun)))
                } else {
                    var arguments = [settings.executable, "case", row.studyPath, "--out", caseFolder, "--overwrite", "--quiet",
                                     "--jobs", String(threads)]
                    if settings.strict { arguments.append("--strict") }
                    let outcome: Outcome
                    do {
                        let (status, errors) = try ChildProcess.run(arguments, in: FileManager.default.currentDirectoryPath,
                                                                    environment: ProcessInfo.processInfo.environment)
                        let line = errors.split(separator: "\n").first { $0.hasPrefix("error: ") }.map(String.init)
                        outcome = Outcome(patientID: row.patientID, status: status == 0 ? .complete : .failed,
                                          error: status == 0 ? nil : line ?? "error: the case ended with status \(status)",
                                          seconds: Date().timeIntervalSince(begun))
                    } catch {
                        outcome = Outcome(patientID: row.patientID, status: .failed, error: "error: \(error)", seconds: Date().timeIntervalSince(begun))
                    }
                    board.finish(index, outcome)
                }
                progress(board.summary(total: manifest.rows.count, since: started))
            }
        }
        let outcomes = board.outcomes.map { $0! }

        // batch.json and cohort.csv, written together.
        let record = JSONObject.document(schema: "voxdose.batch/1", [
            "manifest": .string(manifest.path),
            "cases": .array(outcomes.map { o in
                .object(["patient_id": .string(o.patientID), "status": .string(o.status.rawValue), "error": .string(o.error),
                         "seconds": .number((o.seconds * 1000).rounded() / 1000)])
            }),
            "warnings": .array([]),
        ])
        let usable = zip(manifest.rows, outcomes).filter { $0.1.status != .failed }
            .map { CohortTable.Entry(folder: dir + "/" + $0.0.patientID, extra: $0.0.extra) }
        let table = try CohortTable.csv(usable, extraColumns: manifest.extraColumns)
        let outputs = try OutputFiles([dir + "/batch.json", dir + "/cohort.csv"], inputs: [manifest.path])
        try outputs.stage(text: record.serialized(), to: dir + "/batch.json")
        try outputs.stage(text: table, to: dir + "/cohort.csv")
        try outputs.commit()
        return outcomes
    }
}

/// The batch's shared state: the next row to run and the outcomes so far, under a lock.
private final class Board: @unchecked Sendable {
    private let lock = NSLock()
    private var nextIndex = 0
    private(set) var outcomes: [BatchRun.Outcome?]
    private var running = 0

    init(count: Int) { outcomes = Array(repeating: nil, count: count) }

    func next() -> Int? {
        lock.withLock {
            guard nextIndex < outcomes.count else { return nil }
            nextIndex += 1
            running += 1
            return nextIndex - 1
        }
    }

    func finish(_ index: Int, _ outcome: BatchRun.Outcome) {
        lock.withLock {
            outcomes[index] = outcome
            running -= 1
        }
    }

    /// `5/20 done (1 failed), 2 running, 0:12 elapsed, about 0:40 left`.
    func summary(total: Int, since start: Date) -> String {
        lock.withLock {
            let done = outcomes.compactMap { $0 }
            let failed = done.filter { $0.status == .failed }.count
            let elapsed = Date().timeIntervalSince(start)
            let ran = done.filter { $0.status != .skipped }.count
            let left = ran > 0 && done.count < total ? elapsed / Double(ran) * Double(total - done.count) : nil
            func clock(_ s: Double) -> String { String(format: "%d:%02d", Int(s) / 60, Int(s) % 60) }
            return "batch: \(done.count)/\(total) done" + (failed > 0 ? " (\(failed) failed)" : "") + ", \(running) running, "
                + "\(clock(elapsed)) elapsed" + (left.map { ", about \(clock($0)) left" } ?? "")
        }
    }
}

/// Whether a case folder can be kept: its `case.json` says complete and every input it read
/// still has the sha256 it recorded (found from the study file as the manifest names it now).
enum CaseCheck {
    static func isCompleteAndUnchanged(_ folder: String, studyPath: String) -> Bool {
        guard let record = try? JSONInput.readObject(folder + "/case.json", what: "a case record"),
              case .string("complete")? = record["status"], case .array(let inputs)? = record["inputs"], !inputs.isEmpty else { return false }
        let studyFolder = (studyPath as NSString).deletingLastPathComponent
        for (n, input) in inputs.enumerated() {
            guard case .object(let entry) = input, case .string(let path)? = entry["path"], case .string(let sha)? = entry["sha256"] else { return false }
            // The first input is the study file itself: it must be the one the manifest names.
            if n == 0 && path != (studyPath as NSString).lastPathComponent { return false }
            let file = path.hasPrefix("/") || studyFolder.isEmpty ? path : studyFolder + "/" + path
            guard let digest = try? FileDigest.sha256(ofFile: file), digest.hex == sha else { return false }
        }
        // Every step's outputs are there (a folder someone emptied by hand is rerun).
        guard case .array(let steps)? = record["steps"] else { return false }
        for case .object(let step) in steps {
            guard case .array(let outputs)? = step["outputs"] else { return false }
            for case .string(let name) in outputs where !FileManager.default.fileExists(atPath: folder + "/" + name) { return false }
        }
        return true
    }
}
